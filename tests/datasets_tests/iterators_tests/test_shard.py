"""Each process's share of the global batches."""
import numpy as np

import datasets
from datasets.iterators import order
from datasets.iterators.shard import make_shard_iterator
from datasets.joint import JointDataset


def _ids(batch):
    return [float(np.asarray(x).sum()) for x in (e[0] for e in batch)]


def test_shares_of_two_processes_make_the_single_process_batch():
    data = [(np.full(2, i, np.float32), np.zeros(1, np.float32))
            for i in range(10)]
    single = order.make_iterator(data, 4, seed=5)
    shards = [make_shard_iterator(data, 2, 5, r, 2) for r in range(2)]
    for _ in range(7):  # crosses epochs
        whole = _ids(single.next())
        assert _ids(shards[0].next()) + _ids(shards[1].next()) == whole
    assert shards[0].epoch == single.epoch
    assert shards[1].epoch_detail == single.epoch_detail


def test_joint_shares_alternate_datasets_as_one_process():
    a = datasets.SyntheticFaceDataset(6, 32, 'train', 0, ('expression',))
    b = datasets.SyntheticFaceDataset(6, 32, 'train', 1, ('hair',))
    joint = JointDataset([a, b], ['a', 'b'], seed=3)
    single = joint.make_iterator(4, n_critic=2)
    shards = [make_shard_iterator(joint, 2, 0, r, 2, n_critic=2)
              for r in range(2)]
    for _ in range(5):
        whole = single.next()
        mine = shards[0].next() + shards[1].next()
        for (x, c, m), (y, d, n) in zip(whole, mine):
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(c, d)
            np.testing.assert_array_equal(m, n)


def test_read_counts_of_every_process_match_one_process():
    # UnalignedDataset pairs by read counts; each process counts the other
    # processes' reads too, so any process's snapshot resumes all of them.
    from datasets.unaligned import UnalignedDataset

    def unaligned():
        return UnalignedDataset(
            datasets.SyntheticFaceDataset(12, 32, 'train', 0), 'smile',
            'sad', seed=2)
    single = unaligned()
    it = order.make_iterator(range(len(single)), 3, seed=5)
    parts = [unaligned() for _ in range(3)]
    shards = [make_shard_iterator(p, 1, 5, r, 3) for r, p in enumerate(parts)]
    for _ in range(5):  # crosses epochs
        whole = [single[int(i)] for i in it.next()]
        mine = [s.next()[0] for s in shards]
        for (a, b), (a2, b2) in zip(whole, mine):
            assert np.array_equal(a, a2) and np.array_equal(b, b2)
    for p in parts:
        assert np.array_equal(p._reads, single._reads)
