"""Several labelled datasets as one, for StarGAN's joint training.

The StarGAN paper trains one generator on CelebA attributes and RaFD
expressions: labels are concatenated with a mask vector naming the dataset
(see :mod:`stargan.labels.joint`), and training alternates between the
datasets batch by batch. :class:`JointDataset` gives the joint examples;
:class:`datasets.iterators.joint.JointIterator` gives batches that each come
from one dataset.
"""
import os
import re

import numpy

import chainer

from datasets.iterators import joint as joint_iterator
from stargan.labels import joint as joint_labels


def dataset_schedule(iteration, n_datasets, ratio=None, seed=0, n_critic=1):
    """Which dataset the batch of an iteration comes from.

    A pure function of its arguments, so a resumed run continues the same
    sequence from the saved iteration count.

    Without ``ratio`` the datasets take turns, as in the paper: each batch
    comes from the next dataset, and every generator cycle (``n_critic``
    batches, the generator stepping on the last) starts one dataset later
    than the previous cycle, so that the generator's batches take turns too
    even when ``n_critic`` is a multiple of the number of datasets. With
    ``n_critic`` 1 this is plain ``iteration % n_datasets``.

    With ``ratio`` every batch draws its dataset at random with those
    weights, from a number hashed from ``(seed, iteration)``.

    Args:
        iteration (int): Batch number, from 0.
        n_datasets (int): Number of datasets ``K``.
        ratio (sequence of float or None): Relative share of batches of each
            dataset, e.g. ``(2, 1)``; ``None`` alternates.
        seed (int): Seed of the random choices (ratio only).
        n_critic (int): Discriminator steps per generator step.

    Returns:
        int: Dataset index in ``[0, K)``.
    """
    iteration = int(iteration)
    if ratio is None:
        cycle, step = divmod(iteration, int(n_critic))
        return (cycle + step) % n_datasets
    cumulative = numpy.cumsum(_probabilities(ratio, n_datasets))
    u = _uniform(seed, iteration)
    return min(int(numpy.searchsorted(cumulative, u, side='right')),
               n_datasets - 1)


_MASK64 = (1 << 64) - 1


def _uniform(seed, iteration):
    """A uniform number in [0, 1) hashed from ``(seed, iteration)``.

    SplitMix64's finaliser: cheaper than seeding a RandomState per batch,
    and just as reproducible.
    """
    z = ((int(seed) & 0xFFFFFFFF) << 32 | (iteration & 0xFFFFFFFF))
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    z ^= z >> 31
    return (z >> 11) / float(1 << 53)


def _probabilities(ratio, n_datasets):
    p = numpy.asarray(ratio, dtype=numpy.float64)
    if p.shape != (n_datasets,) or not numpy.all(numpy.isfinite(p)) \
            or (p < 0).any() or p.sum() <= 0:
        raise ValueError('ratio must give one non-negative weight per '
                         'dataset ({}), not all 0; got {!r}'.format(
                             n_datasets, ratio))
    return p / p.sum()


class JointDataset(chainer.dataset.DatasetMixin):
    """Examples of several labelled datasets with joint labels and masks.

    Example ``i`` is example ``i - offsets[k]`` of dataset ``k`` (the
    datasets follow each other in order).

    ============== ================ ======== ===============================
    name           shape            dtype    format
    ============== ================ ======== ===============================
    image          ``(3, S, S)``    float32  RGB in [-1, 1], as the dataset
    joint_label    ``(L,)``         float32  the dataset's labels at its
                                             positions, zeros for the
                                             others, one-hot mask vector
    loss_mask      ``(L,)``         float32  1 on the dataset's label
                                             positions, else 0
    ============== ================ ======== ===============================

    ``L`` is the sum of the datasets' label lengths plus the number of
    datasets; see :class:`stargan.labels.joint.JointLayout`. With
    ``return_mask=False`` examples are ``(image, joint_label)`` like every
    other dataset here, for sample grids and evaluation.

    Args:
        datasets (sequence): Datasets of ``(image, label)`` examples with
            ``attribute_groups`` and ``label_names``; images of one size.
        names (sequence of str): A name per dataset.
        ratio (sequence of float or None): Share of batches from each
            dataset for :meth:`make_iterator`; ``None`` alternates (the
            paper). See :func:`dataset_schedule`.
        seed (int): Seed of the batch order and of ratio sampling.
        return_mask (bool): Whether examples carry ``loss_mask``.

    Attributes:
        datasets (list): The wrapped datasets.
        names (list of str): Their names.
        layout (~stargan.labels.joint.JointLayout): The joint label layout.
        label_names (list of str): Joint label names (``layout``'s).
        attribute_groups (list): Joint ``(group_name, values)`` pairs, the
            mask vector last (``layout``'s).
        offsets (list of int): Index of each dataset's first example; the
            last entry is the total length.
        ratio (tuple of float or None): Batch shares, as given.
        seed (int): The seed.
    """

    def __init__(self, datasets, names, ratio=None, seed=0,
                 return_mask=True):
        self.datasets = list(datasets)
        if len(self.datasets) < 1:
            raise ValueError('JointDataset needs at least one dataset')
        self.names = [str(n) for n in names]
        self.layout = joint_labels.JointLayout(
            [d.attribute_groups for d in self.datasets], self.names)
        if ratio is not None:
            _probabilities(ratio, len(self.datasets))
            ratio = tuple(float(r) for r in ratio)
        self.ratio, self.seed = ratio, int(seed)
        self.return_mask = bool(return_mask)
        shapes = set()
        for name, d in zip(self.names, self.datasets):
            if len(d) < 1:
                raise ValueError('dataset {!r} is empty'.format(name))
            shapes.add(numpy.shape(d[0][0]))
        if len(shapes) > 1:
            raise ValueError('the datasets must hold images of one size, got '
                             'shapes {}'.format(sorted(shapes)))
        self.offsets = [0]
        for d in self.datasets:
            self.offsets.append(self.offsets[-1] + len(d))
        self.label_names = self.layout.label_names
        self.attribute_groups = self.layout.attribute_groups
        self._masks = [self.layout.loss_mask(k)
                       for k in range(len(self.datasets))]

    def __len__(self):
        return self.offsets[-1]

    def locate(self, i):
        """``(dataset index, index within it)`` of joint example ``i``."""
        if not 0 <= i < len(self):
            raise IndexError('index {} out of range for {} examples'.format(
                i, len(self)))
        k = int(numpy.searchsorted(self.offsets, i, side='right')) - 1
        return k, int(i - self.offsets[k])

    def part(self, k):
        """Dataset ``k``'s examples as a view of this dataset (joint
        examples, indices from 0)."""
        return chainer.datasets.SubDataset(self, self.offsets[k],
                                           self.offsets[k + 1])

    def label_of(self, i):
        """Returns the float32 ``(L,)`` joint label of example ``i``."""
        k, j = self.locate(i)
        d = self.datasets[k]
        label = d.label_of(j) if hasattr(d, 'label_of') else d[j][1]
        return self.layout.embed(k, label)

    def loss_mask_of(self, i):
        """Returns the float32 ``(L,)`` loss mask of example ``i``."""
        return self._masks[self.locate(i)[0]].copy()

    def get_example(self, i):
        """Returns ``(image, joint_label, loss_mask)`` (see the table)."""
        k, j = self.locate(i)
        image, label = self.datasets[k][j][:2]
        joint = self.layout.embed(k, label)
        if not self.return_mask:
            return image, joint
        return image, joint, self._masks[k].copy()

    def schedule(self, iteration, n_critic=1):
        """Dataset index of the batch of ``iteration`` (see
        :func:`dataset_schedule`)."""
        return dataset_schedule(iteration, len(self.datasets), self.ratio,
                                self.seed, n_critic)

    def make_iterator(self, batch_size, n_critic=1):
        """A :class:`JointIterator` over this dataset with its scheme."""
        return joint_iterator.JointIterator(self, batch_size,
                                            n_critic=n_critic)


def joint_splits(parts, names, ratio=None, seed=0):
    """Train and test joint datasets from each dataset's two splits.

    Args:
        parts (sequence of tuple): ``(train, test)`` per dataset.
        names (sequence of str): A name per dataset.
        ratio (sequence of float or None): Batch shares (see
            :class:`JointDataset`).
        seed (int): Batch-order seed.

    Returns:
        tuple: ``(train, test)`` :class:`JointDataset`\\ s: training
        examples carry the loss mask, test examples are ``(image,
        joint_label)`` pairs for sample grids and evaluation.
    """
    trains, tests = zip(*parts)
    return (JointDataset(trains, names, ratio=ratio, seed=seed),
            JointDataset(tests, names, ratio=ratio, seed=seed,
                         return_mask=False))


def dataset_names(specs):
    """Short distinct names for datasets given as paths or specs.

    The last path component without its extension (``data/celeba/`` ->
    ``celeba``, ``rafd.npz`` -> ``rafd``); a synthetic spec keeps its label
    groups (``synthetic:hair`` -> ``synthetic-hair``); characters other than
    letters, digits, ``.``, ``_`` and ``-`` become ``-`` (names become
    folder names of reports); repeats get ``-2``, ``-3``.

    Args:
        specs (sequence of str): What ``--dataset`` was given.

    Returns:
        list of str: One name per spec.
    """
    names, seen = [], {}
    for spec in specs:
        name = os.path.splitext(os.path.basename(
            os.path.normpath(str(spec))))[0] or str(spec)
        name = re.sub(r'[^A-Za-z0-9._-]', '-', name)
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1
                     else '{}-{}'.format(name, seen[name]))
    return names
