"""Unpaired two-domain examples for CycleGAN, over any labelled dataset."""
import numpy

import chainer


def domain_indices(dataset, name):
    """Indices of the examples whose label ``name`` is on.

    Args:
        dataset: Has ``label_names`` and ``label_of(i)`` -> float32 ``(L,)``.
        name (str): A label name.

    Returns:
        numpy.ndarray: int64 indices, ascending.

    Raises:
        ValueError: ``name`` is not a label of the dataset; the message lists
            the valid names.
    """
    names = list(dataset.label_names)
    if name not in names:
        raise ValueError('unknown domain {!r}; this dataset\'s domains are: '
                         '{}'.format(name, ', '.join(names)))
    j = names.index(name)
    return numpy.array([i for i in range(len(dataset))
                        if dataset.label_of(i)[j] > 0.5], dtype=numpy.int64)


class UnalignedDataset(chainer.dataset.DatasetMixin):
    """Pairs of unrelated images from two domains of a labelled dataset.

    ============== ================ ======== ==========================
    name           shape            dtype    format
    ============== ================ ======== ==========================
    image_a        ``(3, S, S)``    float32  domain A, as the base dataset
    image_b        ``(3, S, S)``    float32  domain B, as the base dataset
    ============== ================ ======== ==========================

    The length is that of the larger domain. Example ``i`` takes A's image
    ``i mod |A|`` and a random B image: the ``e``-th time example ``i`` is
    read (its epoch ``e``), B's image is ``perm_e[i mod |B|]`` for a
    permutation ``perm_e`` of B drawn from ``(seed, e)``. So partners change
    every epoch, every B image is used once per ``|B|`` consecutive
    indices, and the pairing is a deterministic function of the seed and
    the read order; :meth:`serialize` saves the read counts, so a resumed
    run pairs images as the uninterrupted one would.

    An example belongs to a domain when that label is on; for single-label
    datasets (one exclusive group) domains are disjoint. Examples in both
    domains (possible with several label groups) are left out of both.

    Args:
        dataset: Examples ``(image, label)``, with ``label_names`` and
            ``label_of(i)`` (every dataset of this project).
        domain_a (str): Label name of domain A.
        domain_b (str): Label name of domain B.
        seed (int): Seed of the pairing.

    Attributes:
        indices_a (numpy.ndarray): Base-dataset indices of A's examples.
        indices_b (numpy.ndarray): Same for B.
        label_names (list of str): ``[domain_a, domain_b]``.
    """

    def __init__(self, dataset, domain_a, domain_b, seed=0):
        if domain_a == domain_b:
            raise ValueError('the two domains must differ, got {!r} twice'
                             .format(domain_a))
        a = domain_indices(dataset, domain_a)
        b = domain_indices(dataset, domain_b)
        both = numpy.intersect1d(a, b)
        self.indices_a = numpy.setdiff1d(a, both)
        self.indices_b = numpy.setdiff1d(b, both)
        for name, idx in ((domain_a, self.indices_a),
                          (domain_b, self.indices_b)):
            if not len(idx):
                raise ValueError('domain {!r} has no examples of its own in '
                                 'this dataset'.format(name))
        self.dataset, self.seed = dataset, int(seed)
        self.label_names = [domain_a, domain_b]
        self._reads = numpy.zeros(len(self), numpy.int64)
        self._perms = {}

    def __len__(self):
        return max(len(self.indices_a), len(self.indices_b))

    def _permutation(self, epoch):
        perm = self._perms.get(epoch)
        if perm is None:
            rng = numpy.random.RandomState([self.seed & 0xFFFFFFFF, epoch])
            perm = self._perms[epoch] = rng.permutation(len(self.indices_b))
            self._perms.pop(epoch - 2, None)  # keep memory bounded
        return perm

    def partner(self, i, epoch):
        """Base-dataset index of B's image paired with example ``i`` in
        ``epoch``."""
        n_b = len(self.indices_b)
        return int(self.indices_b[self._permutation(epoch)[i % n_b]])

    def skip(self, i):
        """Counts a read of example ``i`` made by another process in
        data-parallel training (:mod:`datasets.iterators.shard`), without
        reading."""
        self._reads[i] += 1

    def serialize(self, serializer):
        """Saves or restores how often each example has been read."""
        serializer('reads', self._reads)

    def get_example(self, i):
        """Returns ``(image_a, image_b)``; see the class table."""
        if not 0 <= i < len(self):
            raise IndexError('index {} out of range for {} examples'.format(
                i, len(self)))
        epoch = int(self._reads[i])
        self._reads[i] += 1
        a = self.indices_a[i % len(self.indices_a)]
        image_a, _ = self.dataset[int(a)]
        image_b, _ = self.dataset[self.partner(i, epoch)]
        return image_a, image_b
