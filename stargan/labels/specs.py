"""Label specs people type (``smile``, ``Male=0``, ``hair=blond``) for one
label layout, and label interpolation."""
import math

import numpy

from stargan.labels import groups as label_utils


class LabelLayout(object):
    """The label vector of a model, and parsing of label specs for it.

    Args:
        attribute_groups (sequence): ``(group_name, value_names)`` pairs; a
            group of more than one value is exclusive (one-hot), a group of
            one value is a binary attribute.

    Attributes:
        names (list of str): Value name of each label position (length L).
        groups (list of str): Group names.
        sizes (list of int): Size of each group.
        multi_label (bool): False for a single exclusive group.
    """

    def __init__(self, attribute_groups):
        self.groups = [str(g) for g, _ in attribute_groups]
        self.sizes = [len(values) for _, values in attribute_groups]
        self.names = [str(v) for _, values in attribute_groups
                      for v in values]
        self.multi_label = label_utils.is_multi_label(self.sizes)
        self._slices = label_utils.group_slices(self.sizes)
        if len(set(self.names)) != len(self.names):
            raise ValueError('label names repeat: {}'.format(self.names))

    def __len__(self):
        return len(self.names)

    def describe(self):
        """One line per group listing its values (for error messages)."""
        return '; '.join(
            '{}: {}'.format(g, ', '.join(self.names[sl]) if n > 1 else
                            '{} (0 or 1)'.format(self.names[sl.start]))
            for g, sl, n in zip(self.groups, self._slices, self.sizes))

    def default(self):
        """float32 ``(L,)``: binary attributes 0, exclusive groups on their
        first value; the base when nothing describes the source picture."""
        base = numpy.zeros(len(self), dtype=numpy.float32)
        for sl, n in zip(self._slices, self.sizes):
            if n > 1:
                base[sl.start] = 1
        return base

    def parse(self, tokens, base=None):
        """Applies label specs to a base vector.

        Args:
            tokens (sequence of str): Specs such as ``['smile']``,
                ``['Blond_Hair=1', 'Male=0']`` or ``['hair=blond']``.
            base (numpy.ndarray or None): float32 ``(L,)`` values of every
                label not named; None takes :meth:`default`.

        Returns:
            numpy.ndarray: float32 ``(L,)``.

        Raises:
            ValueError: An unknown name, a bad value, two values of one
                exclusive group (``smile sad``: which one?), or an exclusive
                group left without exactly one value; the message lists the
                valid names.
        """
        vec = self.default() if base is None else numpy.array(
            base, dtype=numpy.float32, copy=True)
        if not len(tokens):
            raise ValueError('no label given; choose from ' + self.describe())
        chosen = {}  # exclusive group index -> the value set to 1 in it
        for token in tokens:
            self._apply(vec, str(token), chosen)
        for g, sl, n in zip(self.groups, self._slices, self.sizes):
            if n > 1 and not math.isclose(float(vec[sl].sum()), 1.):
                raise ValueError('group {!r} needs exactly one value; choose '
                                 'one of {}'.format(g, ', '.join(
                                     self.names[sl])))
        return vec

    def _apply(self, vec, token, chosen):
        name, _, value = token.partition('=')
        if name in self.groups and value in self.names:
            sl = self._slices[self.groups.index(name)]
            if value not in self.names[sl]:
                raise ValueError('{!r} is not a value of group {!r}; choose '
                                 'from {}'.format(value, name, ', '.join(
                                     self.names[sl])))
            name, value = value, '1'
        if name not in self.names:
            raise ValueError('{!r} is not a label of this model; valid: {}'
                             .format(name, self.describe()))
        try:
            x = float(value) if value else 1.
        except ValueError:
            raise ValueError('{!r}: the value must be a number from 0 to 1'
                             .format(token))
        if not 0 <= x <= 1:
            raise ValueError('{!r}: the value must lie in [0, 1]'.format(
                token))
        j = self.names.index(name)
        k = next(i for i, sl in enumerate(self._slices) if j < sl.stop)
        if self.sizes[k] > 1:
            if x not in (0., 1.):
                raise ValueError('{!r}: {!r} belongs to the exclusive group '
                                 '{!r}, so it is 0 or 1'.format(
                                     token, name, self.groups[k]))
            if x == 1:
                if k in chosen and chosen[k] != name:
                    raise ValueError(
                        '{!r} and {!r} are both values of the exclusive '
                        'group {!r}; give only one of {}'.format(
                            chosen[k], name, self.groups[k],
                            ', '.join(self.names[self._slices[k]])))
                chosen[k] = name
                vec[self._slices[k]] = 0
        vec[j] = x

    def all_targets(self, base):
        """Every domain a grid shows, as ``(caption, label)`` pairs.

        One-hot per value for a single-label model; for a multi-label model
        each single-attribute edit of ``base`` (see
        :func:`stargan.labels.groups.edit_targets`), a flipped binary attribute
        captioned ``+Name`` or ``-Name``.

        Args:
            base (numpy.ndarray): float32 ``(L,)`` source labels.

        Returns:
            list of (str, numpy.ndarray): Captions and float32 ``(L,)``.
        """
        out = []
        for j, target in label_utils.edit_targets(base[None], self.sizes):
            name = self.names[j]
            if self._is_binary(j):
                name = ('+' if target[0, j] > 0.5 else '-') + name
            out.append((name, target[0]))
        return out

    def _is_binary(self, j):
        return any(n == 1 and sl.start == j
                   for sl, n in zip(self._slices, self.sizes))


def interpolate_labels(source, target, steps):
    """Labels on the straight line from ``source`` to ``target``.

    Args:
        source (numpy.ndarray): float32 ``(L,)``.
        target (numpy.ndarray): float32 ``(L,)``.
        steps (int): Number of points, at least 2 (both ends included).

    Returns:
        numpy.ndarray: float32 ``(steps, L)``; row 0 equals ``source`` and
        the last row ``target`` exactly.
    """
    if steps < 2:
        raise ValueError('steps must be at least 2, got {}'.format(steps))
    t = numpy.linspace(0., 1., steps, dtype=numpy.float32)[:, None]
    out = (1 - t) * source[None] + t * target[None]
    out[0], out[-1] = source, target  # exact ends despite rounding
    return out.astype(numpy.float32)
