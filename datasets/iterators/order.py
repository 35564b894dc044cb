"""Iteration order that a resumed run reproduces exactly."""
import zlib

import numpy

import chainer


class ReproducibleShuffle(object):
    """An order sampler whose next epoch depends only on the last order.

    chainer's default ``ShuffleOrderSampler`` draws from a random state that
    snapshots do not save, so a resumed run would visit examples in another
    order. This sampler has no state: the next permutation is seeded by the
    seed and the previous order, which the iterator does save.

    Args:
        seed (int): Base seed.
    """

    def __init__(self, seed=0):
        self.seed = int(seed)

    def __call__(self, current_order, current_position):
        n = len(current_order)
        state = zlib.crc32(numpy.ascontiguousarray(
            current_order, dtype=numpy.int64).tobytes(), self.seed & 0xffffffff)
        return numpy.random.RandomState(state).permutation(n)


def make_iterator(dataset, batch_size, seed):
    """A shuffling ``SerialIterator`` with a :class:`ReproducibleShuffle`.

    Args:
        dataset: Any dataset.
        batch_size (int): Examples per batch.
        seed (int): Order seed.

    Returns:
        chainer.iterators.SerialIterator: The iterator.
    """
    # The first epoch's order comes from the sampler applied to arange(n).
    return chainer.iterators.SerialIterator(
        dataset, batch_size, order_sampler=ReproducibleShuffle(seed))
