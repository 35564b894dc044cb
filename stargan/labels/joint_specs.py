"""Label specs for a generator trained on several datasets (mask vector).

A joint model's label vector is every dataset's labels plus a one-hot mask
naming the dataset (see :mod:`stargan.labels.joint`). A target names labels
of one dataset (``--target smile``, ``--target hair=blond``); its other
datasets' labels are zero and the mask names it, whatever dataset the
picture looks like: that is how one model gives a face from one dataset an
expression learned from another.
"""
import numpy

from stargan.labels import joint as joint_labels
from stargan.labels import specs as label_specs


class JointLabelLayout(object):
    """:class:`stargan.labels.specs.LabelLayout`'s interface for joint models.

    Args:
        datasets (sequence): ``(dataset_name, attribute_groups)`` per
            dataset, in the model's order.

    Attributes:
        joint (~stargan.labels.joint.JointLayout): The joint layout.
        parts (list of ~stargan.labels.specs.LabelLayout): Each dataset's own
            labels, under the joint label names.
        multi_label (bool): Always True (several label groups).
    """

    multi_label = True

    def __init__(self, datasets):
        names = [str(n) for n, _ in datasets]
        self.joint = joint_labels.JointLayout([g for _, g in datasets], names)
        groups = self.joint.attribute_groups
        self.parts, start = [], 0
        for sizes in self.joint.dataset_group_sizes:
            self.parts.append(label_specs.LabelLayout(
                groups[start:start + len(sizes)]))
            start += len(sizes)

    def __len__(self):
        return self.joint.size

    def describe(self):
        """One clause per dataset listing its groups and values."""
        return ' | '.join('dataset {}: {}'.format(n, p.describe())
                          for n, p in zip(self.joint.names, self.parts))

    def default(self):
        """The first dataset's default labels, as a joint vector."""
        return self.joint.embed(0, self.parts[0].default())

    def _own(self, base, k):
        """Dataset ``k``'s labels of a joint vector, or its default when
        the vector belongs to another dataset."""
        if base is not None and self.joint.dataset_of(base[None])[0] == k:
            return numpy.asarray(base[self.joint.slices[k]], numpy.float32)
        return self.parts[k].default()

    def dataset_of_tokens(self, tokens):
        """Index of the one dataset whose labels all ``tokens`` name.

        Raises:
            ValueError: No dataset has them all (naming what each has).
        """
        for k, part in enumerate(self.parts):
            # The name before '=' is a value or a group of the dataset.
            if all(str(t).partition('=')[0] in part.names + part.groups
                   for t in tokens):
                return k
        raise ValueError(
            'labels {} are not all of one dataset of this model (a target '
            'edits one dataset\'s labels); valid: {}'.format(
                ' '.join(tokens), self.describe()))

    def parse(self, tokens, base=None):
        """Applies label specs; returns the float32 ``(L,)`` joint label.

        Labels the specs leave unnamed come from ``base`` when it belongs to
        the same dataset, else from that dataset's default.
        """
        if not len(tokens):
            raise ValueError('no label given; choose from ' + self.describe())
        k = self.dataset_of_tokens(tokens)
        return self.joint.embed(k, self.parts[k].parse(tokens,
                                                       self._own(base, k)))

    def all_targets(self, base):
        """Every single-attribute edit in every dataset, captioned.

        Returns:
            list of (str, numpy.ndarray): Captions and float32 ``(L,)``.
        """
        return [(caption, self.joint.embed(k, own))
                for k, part in enumerate(self.parts)
                for caption, own in part.all_targets(self._own(base, k))]


def layout_for(config):
    """The label layout of an export config: joint when it lists datasets.

    Args:
        config (dict): See :mod:`faceapp.export`.

    Returns:
        LabelLayout or JointLabelLayout

    Raises:
        ValueError: The datasets do not give the config's labels.
    """
    if not config.get('datasets'):
        return label_specs.LabelLayout(config['attribute_groups'])
    try:
        layout = JointLabelLayout(config['datasets'])
    except (TypeError, ValueError) as e:
        raise ValueError('bad datasets in the model config: {}'.format(e))
    if layout.joint.label_names != list(config['label_names']):
        raise ValueError('the model config\'s datasets do not give its '
                         'label_names')
    return layout
