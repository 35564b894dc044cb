import os
import pickle

import numpy as np
import pytest

from datasets import pack
from datasets import transforms
from datasets.image_files import DatasetError
from datasets.pack import PackDataset

NAMES = ['black', 'blond', 'male']
GROUPS = [('hair', ('black', 'blond')), ('male', ('male',))]


def _data(n=10, size=16):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (n, size, size, 3)).astype(np.uint8)
    labels = np.zeros((n, 3), np.float32)
    labels[np.arange(n), np.arange(n) % 2] = 1
    labels[:, 2] = np.arange(n) % 3 == 0
    return images, labels


def _write(tmp_path, name='p.npz', **kw):
    images, labels = _data(**kw)
    path = str(tmp_path / name)
    pack.write_pack(path, images, labels, NAMES, GROUPS)
    return path, images, labels


def test_round_trip_has_the_documented_form(tmp_path):
    path, images, labels = _write(tmp_path)
    ds = PackDataset(path, split='all')
    assert ds.label_names == NAMES and ds.attribute_groups == GROUPS
    assert len(ds) == 10 and ds.n_skipped == 0
    img, label = ds[3]
    assert img.shape == (3, 16, 16) and img.dtype == np.float32
    np.testing.assert_array_equal(img, transforms.to_chw_float(images[3]))
    np.testing.assert_array_equal(label, labels[3])
    assert label.dtype == np.float32
    np.testing.assert_array_equal(ds.label_of(3), labels[3])


def test_stored_arrays_need_no_pickle(tmp_path):
    path, _, _ = _write(tmp_path)
    with np.load(path, allow_pickle=False) as npz:
        assert set(npz.files) == set(pack.KEYS)
        assert npz['label_names'].dtype.kind == 'U'
        assert npz['attribute_groups'].dtype.kind == 'U'


def test_size_resizes_on_the_fly(tmp_path):
    path, _, _ = _write(tmp_path)
    assert PackDataset(path, size=8, split='all')[0][0].shape == (3, 8, 8)


def test_split_is_disjoint_complete_and_stable(tmp_path):
    path, _, _ = _write(tmp_path)
    train = PackDataset(path, split='train', test_fraction=0.2, seed=1)
    test = PackDataset(path, split='test', test_fraction=0.2, seed=1)
    assert len(test) == 2 and len(train) == 8
    assert not set(train.indices) & set(test.indices)
    again = PackDataset(path, split='test', test_fraction=0.2, seed=1)
    np.testing.assert_array_equal(test.indices, again.indices)


def test_flip_mirrors(tmp_path):
    path, images, _ = _write(tmp_path)
    plain = transforms.to_chw_float(images[0])
    flips = [PackDataset(path, split='all', flip=True, seed=s)[0][0]
             for s in range(6)]
    assert any(np.array_equal(f, plain[..., ::-1]) for f in flips)


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path, _, _ = _write(tmp_path)
    before = open(path, 'rb').read()

    def broken(f, **arrays):
        f.write(b'partial')
        raise OSError('disk full')
    monkeypatch.setattr(np, 'savez', broken)
    with pytest.raises(OSError, match='disk full'):
        _write(tmp_path)
    assert open(path, 'rb').read() == before
    assert os.listdir(str(tmp_path)) == ['p.npz']


@pytest.mark.parametrize('change,match', [
    (dict(images=np.zeros((2, 8, 8, 3), np.float32)), 'uint8'),
    (dict(images=np.zeros((2, 8, 6, 3), np.uint8)), r'\(N, S, S, 3\)'),
    (dict(labels=np.zeros((3, 3))), '2 images but 3 labels'),
    (dict(names=['a', 'b', 'c']), 'do not list'),
])
def test_write_checks_its_input(tmp_path, change, match):
    args = dict(images=np.zeros((2, 8, 8, 3), np.uint8),
                labels=np.zeros((2, 3)), names=NAMES)
    args.update(change)
    with pytest.raises(ValueError, match=match):
        pack.write_pack(str(tmp_path / 'x.npz'), args['images'],
                        args['labels'], args['names'], GROUPS)
    assert not os.listdir(str(tmp_path))


def _raw(tmp_path, **arrays):
    path, images, labels = str(tmp_path / 'raw.npz'), *_data()
    base = dict(images=images, labels=labels,
                label_names=np.array(NAMES),
                attribute_groups=np.array(
                    '[["hair", ["black", "blond"]], ["male", ["male"]]]'),
                version=np.array(1))
    base.update(arrays)
    np.savez(path, **{k: v for k, v in base.items() if v is not None})
    return path


def test_hand_made_pack_with_the_right_arrays_loads(tmp_path):
    assert len(PackDataset(_raw(tmp_path), split='all')) == 10


def test_object_arrays_are_refused(tmp_path):
    path = _raw(tmp_path, label_names=np.array(NAMES, dtype=object))
    with pytest.raises(DatasetError, match='raw.npz holds object'):
        PackDataset(path)


def test_missing_arrays_are_named(tmp_path):
    path = _raw(tmp_path, labels=None, version=None)
    with pytest.raises(DatasetError, match='raw.npz lacks.*labels, version'):
        PackDataset(path)


@pytest.mark.parametrize('arrays,match', [
    (dict(attribute_groups=np.array('not json')), 'not a JSON'),
    (dict(attribute_groups=np.array('[["all", ["a", "b", "c"]]]')),
     'do not list'),
    (dict(labels=np.zeros((9, 3), np.float32)), 'one label row each'),
    (dict(label_names=np.array([1, 2, 3])), 'unicode'),
    (dict(version=np.array(7)), 'version 7'),
])
def test_inconsistent_packs_are_refused(tmp_path, arrays, match):
    with pytest.raises(DatasetError, match=match):
        PackDataset(_raw(tmp_path, **arrays))


@pytest.mark.parametrize('content', [b'', b'not a zip', 'pickle', 'npy'])
def test_files_that_are_not_packs(tmp_path, content):
    path = tmp_path / 'bad.npz'
    if content == 'pickle':
        content = pickle.dumps({'images': 1})
    elif content == 'npy':  # one array, which numpy.load returns as such
        np.save(str(tmp_path / 'one.npy'), np.zeros(3, np.uint8))
        content = (tmp_path / 'one.npy').read_bytes()
    path.write_bytes(content)
    with pytest.raises(DatasetError, match='bad.npz'):
        PackDataset(str(path))


def test_missing_pack(tmp_path):
    with pytest.raises(DatasetError, match='nope.npz does not exist'):
        PackDataset(str(tmp_path / 'nope.npz'))
