"""Joint label vectors for training on several datasets at once.

The StarGAN paper trains one model on CelebA attributes and RaFD expressions
by concatenating every dataset's labels and appending a one-hot *mask
vector* that names the dataset an image comes from. An image's labels for
the other datasets are unknown and set to zero; the classification losses
count only the known positions (see :meth:`JointLayout.loss_mask`).

For datasets ``A`` (label length ``L_A``) and ``B`` (``L_B``) the joint
vector has length ``L_A + L_B + 2``::

    [ A's labels | B's labels | mask: is A, is B ]

Everything here is pure numpy; nothing reads files.
"""
import numpy

import chainer

from stargan.labels import groups as label_utils


class JointLayout(object):
    """Where each dataset's labels and the mask vector sit in a joint label.

    Args:
        attribute_groups (sequence): One entry per dataset: its list of
            ``(group_name, values)`` pairs (a dataset's ``attribute_groups``).
        names (sequence of str): Dataset names, used for the mask vector's
            label names and to tell clashing label names apart; default
            ``dataset0``, ``dataset1``, ...

    Attributes:
        names (list of str): Dataset names.
        n_datasets (int): Number of datasets ``K``.
        sizes (list of int): Label length of each dataset.
        slices (list of slice): Each dataset's positions in the joint vector.
        mask_slice (slice): Positions of the mask vector (the last ``K``).
        size (int): Joint label length, ``sum(sizes) + K``.
        dataset_group_sizes (list of list of int): Each dataset's own label
            layout.
        group_sizes (list of int): The joint layout for
            :mod:`stargan.labels.groups`: every dataset's groups in order,
            then the mask vector as one exclusive group of size ``K``.
        attribute_groups (list): Joint ``(group_name, values)`` pairs whose
            values, concatenated, are :attr:`label_names`; the mask vector is
            the last group, named ``'dataset'``.
        label_names (list of str): Name of every joint position. A label
            name found in several datasets is written ``dataset/name`` in
            each of them; the mask positions are ``dataset=<name>``.
    """

    MASK_GROUP = 'dataset'

    def __init__(self, attribute_groups, names=None):
        attribute_groups = [[(str(g), tuple(str(v) for v in values))
                             for g, values in groups]
                            for groups in attribute_groups]
        if not attribute_groups:
            raise ValueError('a joint layout needs at least one dataset')
        if names is None:
            names = ['dataset{}'.format(k)
                     for k in range(len(attribute_groups))]
        names = [str(n) for n in names]
        if len(names) != len(attribute_groups):
            raise ValueError('{} dataset names for {} datasets'.format(
                len(names), len(attribute_groups)))
        if len(set(names)) != len(names):
            raise ValueError('dataset names must differ, got {}'.format(
                names))
        for name, groups in zip(names, attribute_groups):
            if not groups or any(not values for _, values in groups):
                raise ValueError('dataset {!r} has no labels'.format(name))
        self.names = names
        self.n_datasets = len(names)
        self.dataset_group_sizes = [[len(v) for _, v in groups]
                                    for groups in attribute_groups]
        self.sizes = [sum(s) for s in self.dataset_group_sizes]
        self.slices, start = [], 0
        for size in self.sizes:
            self.slices.append(slice(start, start + size))
            start += size
        self.mask_slice = slice(start, start + self.n_datasets)
        self.size = start + self.n_datasets
        self.group_sizes = ([s for sizes in self.dataset_group_sizes
                             for s in sizes] + [self.n_datasets])
        self.attribute_groups = _joint_groups(attribute_groups, names)
        self.attribute_groups.append(
            (self.MASK_GROUP, tuple('dataset={}'.format(n) for n in names)))
        self.label_names = [v for _, values in self.attribute_groups
                            for v in values]

    def _check_index(self, dataset_index):
        if not 0 <= int(dataset_index) < self.n_datasets:
            raise IndexError('dataset index {} out of range for {} datasets'
                             .format(dataset_index, self.n_datasets))
        return int(dataset_index)

    def embed(self, dataset_index, labels):
        """Joint labels of examples from one dataset.

        Args:
            dataset_index (int): Which dataset the labels belong to.
            labels (array-like): float32 ``(L_k,)`` or ``(N, L_k)`` labels in
                that dataset's own layout.

        Returns:
            numpy.ndarray: float32 ``(L,)`` or ``(N, L)``: the labels at the
            dataset's positions, zeros for the other datasets, and the mask
            vector one-hot at ``dataset_index``.
        """
        k = self._check_index(dataset_index)
        labels = numpy.asarray(chainer.as_array(labels), numpy.float32)
        if labels.shape[-1:] != (self.sizes[k],) or labels.ndim > 2:
            raise ValueError('labels of dataset {!r} must have shape (N, {}) '
                             'or ({},), got {}'.format(
                                 self.names[k], self.sizes[k], self.sizes[k],
                                 labels.shape))
        out = numpy.zeros(labels.shape[:-1] + (self.size,), numpy.float32)
        out[..., self.slices[k]] = labels
        out[..., self.mask_slice.start + k] = 1
        return out

    def dataset_of(self, joint_labels):
        """int64 ``(N,)`` dataset index of each joint label (its mask)."""
        c = numpy.asarray(chainer.as_array(joint_labels))
        return c[:, self.mask_slice].argmax(axis=1)

    def loss_mask(self, dataset_index):
        """Which positions the classification losses count for a dataset.

        Args:
            dataset_index (int): The dataset whose labels are known.

        Returns:
            numpy.ndarray: float32 ``(L,)``: 1 on that dataset's label
            positions, 0 on other datasets' and on the mask vector (which
            the discriminator need not predict).
        """
        k = self._check_index(dataset_index)
        mask = numpy.zeros(self.size, numpy.float32)
        mask[self.slices[k]] = 1
        return mask

    def random_targets(self, rng, n, dataset_index):
        """Random valid targets within one dataset's label set.

        Args:
            rng (numpy.random.RandomState): Source of randomness.
            n (int): How many.
            dataset_index (int): The dataset to draw from.

        Returns:
            numpy.ndarray: float32 ``(n, L)`` joint labels: random labels of
            that dataset (see :func:`stargan.labels.groups.random_labels`),
            zeros elsewhere, its mask vector.
        """
        k = self._check_index(dataset_index)
        return self.embed(k, label_utils.random_labels(
            rng, n, self.dataset_group_sizes[k]))

    def default_labels(self, dataset_index):
        """A fixed valid label of a dataset, for images from another one.

        Every exclusive group takes its first value and every binary
        attribute is off. :meth:`edit_targets` starts from it when an image
        has no labels in the dataset being targeted.

        Returns:
            numpy.ndarray: float32 ``(L_k,)`` in the dataset's own layout.
        """
        k = self._check_index(dataset_index)
        own = numpy.zeros(self.sizes[k], numpy.float32)
        for sl, size in zip(label_utils.group_slices(
                self.dataset_group_sizes[k]), self.dataset_group_sizes[k]):
            if size > 1:
                own[sl.start] = 1
        return own

    def edit_targets(self, joint_labels):
        """Every single-attribute edit into every dataset: grid columns.

        The joint counterpart of :func:`stargan.labels.groups.edit_targets`:
        one column per label position of every dataset (the mask positions get
        none). A column of dataset ``k`` sets that value (an exclusive group
        to it, a binary attribute flipped) on the image's labels in ``k``,
        zeros the other datasets' labels and sets the mask to ``k``. An image
        from another dataset has no labels in ``k``; they start from
        :meth:`default_labels` (so a binary attribute of ``k`` is turned on).
        This is how the paper shows CelebA faces with RaFD expressions.

        Args:
            joint_labels (numpy.ndarray): float32 ``(N, L)`` original joint
                labels (with their mask vectors).

        Returns:
            list of (int, numpy.ndarray): ``(label_index, targets (N, L))``
            per column, ``label_index`` the joint position that was set,
            in joint label order.
        """
        c = numpy.asarray(chainer.as_array(joint_labels), numpy.float32)
        if c.ndim != 2 or c.shape[1] != self.size:
            raise ValueError('joint labels must have shape (N, {}), got {}'
                             .format(self.size, c.shape))
        which = self.dataset_of(c)
        columns = []
        for k in range(self.n_datasets):
            own = numpy.where((which == k)[:, None], c[:, self.slices[k]],
                              self.default_labels(k)[None])
            for j, target in label_utils.edit_targets(
                    own, self.dataset_group_sizes[k]):
                columns.append((self.slices[k].start + j,
                                self.embed(k, target)))
        return columns


def masked_accuracy(logits, labels, group_sizes, mask):
    """Share of known label groups a classifier gets right.

    As :func:`stargan.labels.groups.accuracy`, but a group counts for a
    sample only where ``mask`` covers all of it (the sample's own
    dataset); a Python float (:func:`stargan.labels.groups.hit_rate`
    copied to the host).

    Args:
        logits (array or ~chainer.Variable): float32 ``(N, L)``.
        labels (array): float32 ``(N, L)`` 0/1 labels.
        group_sizes (sequence of int): Label layout (a joint layout's
            :attr:`JointLayout.group_sizes`).
        mask (array): float32 ``(L,)`` or ``(N, L)``, 1 where labels are
            known.

    Returns:
        float: Accuracy in [0, 1]; 0 if the mask covers no group.
    """
    return float(label_utils.hit_rate(logits, labels, group_sizes, mask))


def _joint_groups(attribute_groups, names):
    """Joint ``(group_name, values)`` pairs, prefixing clashing names."""
    def counts(items):
        seen = {}
        for item in items:
            seen[item] = seen.get(item, 0) + 1
        return seen

    # A name clashes when two datasets use it (within one dataset the names
    # are already distinct, as its own label_names are).
    value_count = counts(v for groups in attribute_groups
                         for v in {v for _, vs in groups for v in vs})
    group_count = counts(g for groups in attribute_groups
                         for g in {g for g, _ in groups})
    mask_names = {'dataset={}'.format(n) for n in names}
    out = []
    for name, groups in zip(names, attribute_groups):
        for group, values in groups:
            if group_count[group] > 1 or group == JointLayout.MASK_GROUP:
                group = '{}/{}'.format(name, group)
            out.append((group, tuple(
                '{}/{}'.format(name, v)
                if value_count.get(v, 0) > 1 or v in mask_names else v
                for v in values)))
    return out
