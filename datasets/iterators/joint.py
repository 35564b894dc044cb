"""Batches that each come from one dataset of a
:class:`datasets.joint.JointDataset`."""
import chainer

from datasets.iterators import order


class JointIterator(chainer.dataset.Iterator):
    """Batches that each come from one dataset of a
    :class:`~datasets.joint.JointDataset`.

    Batch ``t`` comes from dataset ``joint.schedule(t, n_critic)``; within a
    dataset examples are shuffled per epoch as by
    :func:`datasets.iterators.order.make_iterator` (seeded by the joint seed
    and the dataset's index). :meth:`serialize` saves the batch count and each
    dataset's position and order, so a resumed run draws the same batches.

    ``epoch_detail`` counts passes over the whole joint dataset (examples
    drawn / its length).

    Args:
        joint (JointDataset): The dataset (``return_mask`` as it should be).
        batch_size (int): Examples per batch.
        n_critic (int): The updater's discriminator steps per generator step
            (only steers the alternation; see
            :func:`datasets.joint.dataset_schedule`).
        indices (bool): Yield the joint indices of a batch's examples
            instead of the examples (for :class:`datasets.iterators.shard.
            ShardIterator`, which reads only its own share).
    """

    def __init__(self, joint, batch_size, n_critic=1, indices=False):
        if int(batch_size) < 1 or int(n_critic) < 1:
            raise ValueError('batch_size and n_critic must be positive, got '
                             '{} and {}'.format(batch_size, n_critic))
        self.dataset = joint
        self.batch_size, self.n_critic = int(batch_size), int(n_critic)
        self.iteration = 0
        self.last_dataset = None
        self._previous_epoch_detail = -1.
        # Index ranges shuffle exactly as the examples would: the order
        # depends only on the length and the seed.
        self._parts = [
            order.make_iterator(
                range(joint.offsets[k], joint.offsets[k + 1]) if indices
                else joint.part(k), self.batch_size,
                _part_seed(joint.seed, k))
            for k in range(len(joint.datasets))]

    def __next__(self):
        epoch_before = self.epoch_detail
        k = self.dataset.schedule(self.iteration, self.n_critic)
        batch = self._parts[k].next()
        self.iteration += 1
        self._previous_epoch_detail = epoch_before
        self.last_dataset = k
        return batch

    next = __next__

    @property
    def epoch_detail(self):
        seen = sum(it.epoch_detail * len(it.dataset) for it in self._parts)
        return seen / len(self.dataset)

    @property
    def epoch(self):
        return int(self.epoch_detail)

    @property
    def previous_epoch_detail(self):
        if self._previous_epoch_detail < 0:
            return None
        return self._previous_epoch_detail

    @property
    def is_new_epoch(self):
        return (self._previous_epoch_detail >= 0 and
                int(self.epoch_detail) > int(self._previous_epoch_detail))

    def reset(self):
        """Starts over from the first batch."""
        for it in self._parts:
            it.reset()
        self.iteration = 0
        self._previous_epoch_detail = -1.

    def serialize(self, serializer):
        """Saves or restores the batch count and every dataset's order."""
        self.iteration = int(serializer('iteration', self.iteration))
        self._previous_epoch_detail = float(serializer(
            'previous_epoch_detail', self._previous_epoch_detail))
        for k, it in enumerate(self._parts):
            it.serialize(serializer['part{}'.format(k)])


def _part_seed(seed, k):
    """Distinct shuffle seeds per dataset, so equal-sized datasets do not
    share an order."""
    return (int(seed) * 1000003 + 7919 * (k + 1)) & 0x7FFFFFFF
