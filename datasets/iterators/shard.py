"""Data-parallel batches: each process reads its own share of every batch.

All processes walk one shared, seeded order of example indices in *global*
batches (``batch_size x n_processes``); process ``r`` reads examples
``[r * B, (r + 1) * B)`` of each. Over an epoch every example is read by one
process, and the union of the processes' batches is exactly the batch one
process would draw at the global batch size: N processes at batch B train
like one at batch N x B. Snapshots hold the index iterator's state, the same
keys as a single-process run's iterator.
"""
import chainer

from datasets.iterators import joint as joint_iterator
from datasets.iterators import order
from datasets import joint as joint_lib


class ShardIterator(chainer.dataset.Iterator):
    """This process's share of the global batches of an index iterator.

    Args:
        index_iterator (~chainer.dataset.Iterator): Yields global batches of
            example indices (``len`` a multiple of ``n_shards``).
        dataset: Where the examples are read from.
        rank (int): This process, in ``[0, n_shards)``.
        n_shards (int): Number of processes.
    """

    def __init__(self, index_iterator, dataset, rank, n_shards):
        if not 0 <= int(rank) < int(n_shards):
            raise ValueError('rank {} out of range for {} processes'.format(
                rank, n_shards))
        self.index_iterator, self.dataset = index_iterator, dataset
        self.rank, self.n_shards = int(rank), int(n_shards)

    def __next__(self):
        indices = [int(i) for i in self.index_iterator.next()]
        n = len(indices) // self.n_shards
        lo, hi = self.rank * n, (self.rank + 1) * n
        # A dataset that counts its reads (UnalignedDataset) also counts
        # the other processes', in global order: every process then holds
        # the same counts, so process 0's snapshot resumes them all.
        skip = getattr(self.dataset, 'skip', lambda i: None)
        for i in indices[:lo]:
            skip(i)
        batch = [self.dataset[i] for i in indices[lo:hi]]
        for i in indices[hi:]:
            skip(i)
        return batch

    next = __next__

    @property
    def epoch(self):
        return self.index_iterator.epoch

    @property
    def epoch_detail(self):
        return self.index_iterator.epoch_detail

    @property
    def previous_epoch_detail(self):
        return self.index_iterator.previous_epoch_detail

    @property
    def is_new_epoch(self):
        return self.index_iterator.is_new_epoch

    def reset(self):
        self.index_iterator.reset()

    def serialize(self, serializer):
        """The index iterator's state (the global order and position)."""
        self.index_iterator.serialize(serializer)


def make_shard_iterator(dataset, batch_size, seed, rank, n_shards,
                        n_critic=1):
    """A :class:`ShardIterator` with ``batch_size`` examples per process.

    Args:
        dataset: A dataset, or a :class:`datasets.joint.JointDataset` (whose
            global batches alternate datasets as in a single process).
        batch_size (int): Examples per process and batch.
        seed (int): Order seed (the same in every process).
        rank (int): This process.
        n_shards (int): Number of processes.
        n_critic (int): Steers a joint dataset's alternation.
    """
    total = int(batch_size) * int(n_shards)
    if isinstance(dataset, joint_lib.JointDataset):
        indices = joint_iterator.JointIterator(dataset, total, n_critic,
                                               indices=True)
    else:
        indices = order.make_iterator(range(len(dataset)), total, seed)
    return ShardIterator(indices, dataset, rank, n_shards)
