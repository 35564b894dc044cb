import numpy as np
import pytest

import chainer

from datasets import SyntheticFaceDataset
from datasets.unaligned import domain_indices
from datasets.unaligned import UnalignedDataset


class _Labelled(chainer.dataset.DatasetMixin):
    """Image i is filled with the value i; labels as given."""

    def __init__(self, labels, names):
        self.labels = np.asarray(labels, np.float32)
        self.label_names = list(names)

    def __len__(self):
        return len(self.labels)

    def label_of(self, i):
        return self.labels[i].copy()

    def get_example(self, i):
        return np.full((3, 2, 2), i, np.float32), self.label_of(i)


def _single(n_a=7, n_b=3, n_c=2):
    owners = [0] * n_a + [1] * n_b + [2] * n_c
    return _Labelled(np.eye(3)[owners], ['a', 'b', 'c'])


def _ids(pair):
    return int(pair[0][0, 0, 0]), int(pair[1][0, 0, 0])


def test_length_is_the_larger_domain_and_pairs_cross_domains():
    ds = UnalignedDataset(_single(), 'a', 'b', seed=0)
    assert len(ds) == 7
    assert UnalignedDataset(_single(), 'b', 'a').__len__() == 7
    for i in range(len(ds)):
        a, b = _ids(ds[i])
        assert a == i and 7 <= b < 10
    img_a, img_b = ds[0]
    assert img_a.shape == img_b.shape == (3, 2, 2)


def test_partners_cover_b_each_epoch_and_change_between_epochs():
    ds = UnalignedDataset(_single(n_a=6, n_b=6), 'a', 'b', seed=0)
    epochs = [[_ids(ds[i])[1] for i in range(6)] for _ in range(3)]
    for e in epochs:
        assert sorted(e) == list(range(6, 12))  # a permutation of B
    assert epochs[0] != epochs[1] or epochs[1] != epochs[2]


def test_pairing_is_deterministic_per_seed():
    def run(seed):
        ds = UnalignedDataset(_single(), 'a', 'b', seed=seed)
        return [_ids(ds[i]) for _ in range(3) for i in range(len(ds))]
    assert run(1) == run(1)
    assert run(1) != run(2)


def test_the_smaller_domain_a_repeats_cyclically():
    ds = UnalignedDataset(_single(n_a=2, n_b=5), 'a', 'b')
    assert len(ds) == 5
    assert [_ids(ds[i])[0] for i in range(5)] == [0, 1, 0, 1, 0]


def test_unknown_domain_lists_the_valid_names():
    with pytest.raises(ValueError, match='a, b, c'):
        UnalignedDataset(_single(), 'a', 'happy')


def test_same_or_empty_domains_are_refused():
    with pytest.raises(ValueError, match='differ'):
        UnalignedDataset(_single(), 'a', 'a')
    with pytest.raises(ValueError, match="'c' has no examples"):
        UnalignedDataset(_single(n_c=0), 'a', 'c')


def test_examples_in_both_domains_are_left_out():
    labels = [[1, 0], [0, 1], [1, 1], [1, 0]]
    ds = UnalignedDataset(_Labelled(labels, ['x', 'y']), 'x', 'y')
    assert ds.indices_a.tolist() == [0, 3]
    assert ds.indices_b.tolist() == [1]


def test_serialize_restores_the_pairing(tmp_path):
    ds = UnalignedDataset(_single(), 'a', 'b', seed=0)
    for i in [0, 1, 1, 2, 2, 2]:
        ds[i]
    path = str(tmp_path / 'd.npz')
    chainer.serializers.save_npz(path, ds)
    restored = UnalignedDataset(_single(), 'a', 'b', seed=0)
    chainer.serializers.load_npz(path, restored)
    order = [2, 1, 0, 2, 5, 1]
    assert [_ids(restored[i]) for i in order] == [_ids(ds[i]) for i in order]


def test_index_out_of_range():
    ds = UnalignedDataset(_single(), 'a', 'b')
    with pytest.raises(IndexError):
        ds.get_example(7)


def test_works_on_synthetic_faces():
    faces = SyntheticFaceDataset(20, 32, 'train', seed=0)
    ds = UnalignedDataset(faces, 'smile', 'sad', seed=0)
    assert len(ds) == 4
    assert domain_indices(faces, 'sad').tolist() == [2, 7, 12, 17]
    a, b = ds[1]
    np.testing.assert_array_equal(a, faces[6][0])
    assert a.shape == b.shape == (3, 32, 32) and a.dtype == np.float32
