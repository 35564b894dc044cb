import numpy as np
import pytest

import chainer

from datasets.iterators.joint import JointIterator
from datasets.joint import dataset_names
from datasets.joint import dataset_schedule
from datasets.joint import joint_splits
from datasets.joint import JointDataset
from datasets import SyntheticFaceDataset


class _Labelled(chainer.dataset.DatasetMixin):
    """Image i is filled with ``base + i``; one exclusive label group."""

    def __init__(self, n, values, base, group='g', size=2):
        self.n, self.base, self.size = n, base, size
        self.attribute_groups = [(group, tuple(values))]
        self.label_names = list(values)

    def __len__(self):
        return self.n

    def label_of(self, i):
        return np.eye(len(self.label_names), dtype=np.float32)[
            i % len(self.label_names)]

    def get_example(self, i):
        return (np.full((3, self.size, self.size), self.base + i,
                        np.float32), self.label_of(i))


def _joint(n_a=6, n_b=4, **kw):
    return JointDataset([_Labelled(n_a, 'abc', 0),
                         _Labelled(n_b, 'xy', 100)], ['A', 'B'], **kw)


def test_examples_carry_joint_label_and_loss_mask():
    ds = _joint()
    assert len(ds) == 10
    assert ds.label_names == ['a', 'b', 'c', 'x', 'y', 'dataset=A',
                              'dataset=B']
    assert [len(v) for _, v in ds.attribute_groups] == [3, 2, 2]
    img, c, m = ds[7]  # B's example 1
    assert img[0, 0, 0] == 101
    assert c.dtype == np.float32 and m.dtype == np.float32
    np.testing.assert_array_equal(c, [0, 0, 0, 0, 1, 0, 1])
    np.testing.assert_array_equal(m, [0, 0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(ds.label_of(7), c)
    np.testing.assert_array_equal(ds.loss_mask_of(2), [1, 1, 1, 0, 0, 0, 0])
    _, c0, m0 = ds[2]
    np.testing.assert_array_equal(c0, [0, 0, 1, 0, 0, 1, 0])
    assert ds.locate(6) == (1, 0) and ds.locate(5) == (0, 5)
    with pytest.raises(IndexError):
        ds[10]
    assert len(_joint(return_mask=False)[7]) == 2


def test_synthetic_faces_labelled_two_ways():
    a = SyntheticFaceDataset(6, 32, 'train', 0, attributes=('expression',))
    b = SyntheticFaceDataset(6, 32, 'train', 0, attributes=('hair',))
    ds = JointDataset([a, b], ['expr', 'hair'])
    assert ds.layout.group_sizes == [5, 5, 2]
    assert ds.label_names[:2] == ['neutral', 'smile']
    assert ds.label_names[5:7] == ['black', 'blond']
    _, c, m = ds[8]
    np.testing.assert_array_equal(c[5:10], b.label_of(2))
    np.testing.assert_array_equal(c[:5], 0)
    np.testing.assert_array_equal(c[10:], [0, 1])
    np.testing.assert_array_equal(m, [0] * 5 + [1] * 5 + [0, 0])


def test_rejects_mismatched_datasets():
    with pytest.raises(ValueError):
        JointDataset([_Labelled(3, 'ab', 0), _Labelled(3, 'xy', 0, size=4)],
                     ['A', 'B'])
    with pytest.raises(ValueError):
        _joint(ratio=(1, 2, 3))
    with pytest.raises(ValueError):
        _joint(ratio=(0, 0))
    with pytest.raises(ValueError):
        JointDataset([_Labelled(3, 'ab', 0)], ['A', 'B'])


def test_alternation_and_generator_steps_take_turns():
    assert [dataset_schedule(t, 2) for t in range(6)] == [0, 1, 0, 1, 0, 1]
    assert [dataset_schedule(t, 3) for t in range(6)] == [0, 1, 2, 0, 1, 2]
    # n_critic 2 with two datasets: G steps on batches 1, 3, 5, 7 ...
    seq = [dataset_schedule(t, 2, n_critic=2) for t in range(16)]
    assert sorted(seq[1::2]) == [0] * 4 + [1] * 4
    assert seq.count(0) == seq.count(1)
    # n_critic 5 (the paper): still strict alternation for the critic.
    seq = [dataset_schedule(t, 2, n_critic=5) for t in range(20)]
    assert seq == [t % 2 for t in range(20)]


def test_ratio_sampling_is_seeded_and_follows_the_ratio():
    seq = [dataset_schedule(t, 2, ratio=(3, 1), seed=5) for t in range(2000)]
    assert seq == [dataset_schedule(t, 2, ratio=(3, 1), seed=5)
                   for t in range(2000)]
    assert abs(np.mean(seq) - 0.25) < 0.03
    other = [dataset_schedule(t, 2, ratio=(3, 1), seed=6)
             for t in range(2000)]
    assert seq != other


def _owner(batch):
    owners = {int(np.argmax(c[-2:])) for _, c, _ in batch}
    assert len(owners) == 1
    return owners.pop()


def test_iterator_batches_come_from_one_dataset_each():
    ds = _joint(n_a=6, n_b=4)
    it = ds.make_iterator(2)
    assert isinstance(it, JointIterator)
    seen = {0: [], 1: []}
    for t in range(10):
        batch = it.next()
        assert len(batch) == 2
        k = _owner(batch)
        assert k == t % 2 == it.last_dataset
        seen[k] += [int(x[0, 0, 0]) for x, _, _ in batch]
    # Each dataset is visited in shuffled epochs of its own.
    assert sorted(seen[0][:6]) == list(range(6))
    assert sorted(seen[1][:4]) == [100, 101, 102, 103]
    assert it.epoch_detail == pytest.approx(2.0)
    assert it.epoch == 2


def test_iterator_epoch_bookkeeping():
    it = _joint(n_a=6, n_b=4).make_iterator(2)
    assert it.previous_epoch_detail is None and not it.is_new_epoch
    news = []
    for _ in range(10):
        it.next()
        news.append(it.is_new_epoch)
    assert news == [False] * 4 + [True] + [False] * 4 + [True]
    assert it.previous_epoch_detail == pytest.approx(1.8)
    it.reset()
    assert it.iteration == 0 and it.epoch_detail == 0


def _values(batch):
    return [int(x[0, 0, 0]) for x, _, _ in batch]


@pytest.mark.parametrize('ratio', [None, (2, 1)])
def test_iterator_resumes_exactly(ratio):
    ds = _joint(n_a=5, n_b=3, ratio=ratio, seed=3)
    it = ds.make_iterator(2, n_critic=2)
    for _ in range(7):
        it.next()
    saved = {}
    it.serialize(chainer.serializers.DictionarySerializer(saved))
    expected = [_values(it.next()) for _ in range(12)]
    fresh = _joint(n_a=5, n_b=3, ratio=ratio, seed=3).make_iterator(
        2, n_critic=2)
    fresh.serialize(chainer.serializers.NpzDeserializer(saved))
    assert fresh.iteration == 7
    assert [_values(fresh.next()) for _ in range(12)] == expected
    assert fresh.epoch_detail == pytest.approx(it.epoch_detail)


def test_ratio_iterator_draws_mostly_the_heavier_dataset():
    it = _joint(ratio=(1, 4), seed=0).make_iterator(1)
    owners = [_owner(it.next()) for _ in range(200)]
    assert 0.7 < np.mean(owners) < 0.9


def test_joint_splits_give_masked_train_and_plain_test():
    parts = [(_Labelled(4, 'ab', 0), _Labelled(2, 'ab', 50)),
             (_Labelled(3, 'xyz', 100), _Labelled(2, 'xyz', 150))]
    train, test = joint_splits(parts, ['A', 'B'], ratio=(1, 1), seed=2)
    assert len(train) == 7 and len(test) == 4
    assert len(train[0]) == 3 and len(test[0]) == 2
    assert train.label_names == test.label_names
    assert test[2][0][0, 0, 0] == 150
    assert train.ratio == (1., 1.) and train.seed == 2


def test_dataset_names_are_short_and_distinct():
    assert dataset_names(['data/celeba/', 'rafd.npz', 'synthetic:hair',
                          'a/faces', 'b/faces']) == [
        'celeba', 'rafd', 'synthetic-hair', 'faces', 'faces-2']
