"""Each process's share of the global batches."""
import numpy as np

import datasets
from datasets import order
from datasets.joint import JointDataset
from datasets.shard import make_shard_iterator


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
