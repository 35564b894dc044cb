"""Batches read ahead in the background, with exact resume."""
import numpy as np
import pytest

import chainer
from chainer import serializers

import datasets
from datasets.iterators import order
from datasets.iterators.prefetch import PrefetchIterator
from datasets.iterators.shard import make_shard_iterator
from datasets.joint import JointDataset

DATA = [(np.full(2, i, np.float32), np.zeros(1, np.float32))
        for i in range(7)]


def _ids(batch):
    return [int(x[0][0]) for x in batch]


def _snapshot(it):
    s = serializers.DictionarySerializer()
    it.serialize(s)
    return dict(s.target)


@pytest.mark.parametrize('depth', [1, 3])
def test_same_batches_and_epochs_as_without_prefetching(depth):
    plain = order.make_iterator(DATA, 3, seed=1)
    ahead = PrefetchIterator(order.make_iterator(DATA, 3, seed=1), depth)
    for _ in range(9):
        assert _ids(ahead.next()) == _ids(plain.next())
        assert ahead.epoch == plain.epoch
        assert ahead.epoch_detail == plain.epoch_detail
        assert ahead.is_new_epoch == plain.is_new_epoch
        assert ahead.previous_epoch_detail == plain.previous_epoch_detail
    ahead.finalize()


def test_saved_state_is_that_of_the_batches_handed_out():
    plain = order.make_iterator(DATA, 3, seed=1)
    ahead = PrefetchIterator(order.make_iterator(DATA, 3, seed=1), depth=3)
    for _ in range(4):
        plain.next()
        ahead.next()
    saved, want = _snapshot(ahead), _snapshot(plain)
    assert sorted(saved) == sorted(want)
    for key in want:
        np.testing.assert_array_equal(saved[key], want[key])
    # Restoring into a fresh prefetcher continues with the same batches.
    resumed = PrefetchIterator(order.make_iterator(DATA, 3, seed=1), 2)
    resumed.serialize(serializers.NpzDeserializer(saved))
    for _ in range(5):
        assert _ids(resumed.next()) == _ids(plain.next())


def test_sharded_joint_batches_prefetch_too():
    a = datasets.SyntheticFaceDataset(6, 32, 'train', 0, ('expression',))
    b = datasets.SyntheticFaceDataset(6, 32, 'train', 1, ('hair',))
    joint = JointDataset([a, b], ['a', 'b'], seed=3)
    plain = make_shard_iterator(joint, 2, 0, 1, 2, n_critic=2)
    ahead = PrefetchIterator(make_shard_iterator(joint, 2, 0, 1, 2,
                                                 n_critic=2))
    for _ in range(6):
        for (x, c, m), (y, d, n) in zip(plain.next(), ahead.next()):
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(c, d)
    assert ahead.wait_s >= 0


def test_a_reading_error_reaches_the_trainer():
    class Broken(chainer.dataset.DatasetMixin):
        def __len__(self):
            return 4

        def get_example(self, i):
            raise OSError('cannot read image {}'.format(i))
    ahead = PrefetchIterator(order.make_iterator(Broken(), 2, seed=0))
    with pytest.raises(OSError, match='cannot read image'):
        ahead.next()


def test_state_survives_finalize():
    """The trainer finalizes its iterators before the SIGINT snapshot."""
    plain = order.make_iterator(DATA, 3, seed=1)
    ahead = PrefetchIterator(order.make_iterator(DATA, 3, seed=1), depth=2)
    for _ in range(2):
        plain.next()
        ahead.next()
    ahead.finalize()
    saved, want = _snapshot(ahead), _snapshot(plain)
    for key in want:
        np.testing.assert_array_equal(saved[key], want[key])


def test_a_stateful_dataset_is_saved_as_of_the_batches_handed_out():
    from datasets.unaligned import UnalignedDataset
    base = datasets.SyntheticFaceDataset(20, 32, 'train', 0)
    plain_data = UnalignedDataset(base, 'smile', 'sad', seed=0)
    ahead_data = UnalignedDataset(base, 'smile', 'sad', seed=0)
    plain = order.make_iterator(plain_data, 2, seed=1)
    ahead = PrefetchIterator(order.make_iterator(ahead_data, 2, seed=1), 3)
    for _ in range(3):
        plain.next()
        ahead.next()
    ahead._drain()  # let the worker finish the batches it reads ahead
    assert ahead_data._reads.sum() > plain_data._reads.sum()  # read ahead
    saved, want = _snapshot(ahead.dataset), _snapshot(plain_data)
    np.testing.assert_array_equal(saved['reads'], want['reads'])
