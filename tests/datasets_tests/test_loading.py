import os

import numpy as np
import pytest
from PIL import Image

from datasets import loading
from datasets import pack
from datasets.celeba import CelebADataset
from datasets.folder import FolderDataset
from datasets.image_files import BadImageWarning, DatasetError
from datasets.loading import open_dataset
from datasets.pack import PackDataset

from tests.datasets_tests.test_celeba import _write_celeba


def assert_is_labeled_dataset(ds, size):
    """The contract every loader keeps (see datasets.loading)."""
    flat = [v for _, values in ds.attribute_groups for v in values]
    assert flat == list(ds.label_names) and len(ds) > 0
    assert ds.n_skipped >= 0
    for i in range(min(len(ds), 3)):
        img, label = ds[i]
        assert img.shape == (3, size, size) and img.dtype == np.float32
        assert -1 <= img.min() and img.max() <= 1
        assert label.shape == (len(flat),) and label.dtype == np.float32
        np.testing.assert_array_equal(label, ds.label_of(i))
        start = 0
        for _, values in ds.attribute_groups:
            group = label[start:start + len(values)]
            assert set(group) <= {0, 1}
            if len(values) > 1:
                assert group.sum() == 1
            start += len(values)


def _tree(root, counts, size=24):
    rng = np.random.RandomState(0)
    for domain, n in counts.items():
        (root / domain).mkdir(parents=True)
        for i in range(n):
            img = rng.randint(0, 256, (size, size + 6, 3)).astype(np.uint8)
            Image.fromarray(img).save(str(root / domain / '{}.png'.format(i)))
    return root


def _pack(path, n=6):
    images = np.zeros((n, 20, 20, 3), np.uint8)
    labels = np.eye(2, dtype=np.float32)[np.arange(n) % 2]
    pack.write_pack(str(path), images, labels, ['a', 'b'],
                    [('domain', ('a', 'b'))])
    return path


def test_folder_tree_gives_a_folder_dataset(tmp_path):
    ds = open_dataset(str(_tree(tmp_path / 'f', {'a': 3, 'b': 3})), 16,
                      'train', test_fraction=0.3)
    assert isinstance(ds, FolderDataset) and len(ds) == 4
    assert_is_labeled_dataset(ds, 16)


def test_npz_file_and_folder_holding_pack_npz_give_a_pack(tmp_path):
    for path in (_pack(tmp_path / 'x.npz'),
                 _pack(tmp_path / 'out' / loading.PACK_NAME).parent):
        ds = open_dataset(str(path), 16, 'all', flip=True)
        assert isinstance(ds, PackDataset) and len(ds) == 6
        assert_is_labeled_dataset(ds, 16)


def test_celeba_folder_gives_a_celeba_dataset(tmp_path):
    root = _write_celeba(tmp_path, size=(178, 200))
    ds = open_dataset(str(root), 16, 'test', attrs=['Blond_Hair', 'Male'],
                      test_fraction=0.2, seed=1)
    assert isinstance(ds, CelebADataset) and len(ds) == 2
    assert_is_labeled_dataset(ds, 16)


def test_celeba_without_attrs_lists_the_names(tmp_path):
    root = str(_write_celeba(tmp_path))
    with pytest.raises(DatasetError, match='choose attributes.*Bald Black'):
        open_dataset(root, 16, 'train')
    with pytest.raises(DatasetError, match='unknown.*Smiling.*Bald Black'):
        open_dataset(root, 16, 'train', attrs=['Smiling'])


def test_attrs_are_refused_where_labels_are_fixed(tmp_path):
    root = str(_tree(tmp_path / 'f', {'a': 2, 'b': 2}))
    with pytest.raises(DatasetError, match='only apply to CelebA'):
        open_dataset(root, 16, 'train', attrs=['Male'])


def test_bad_paths(tmp_path):
    with pytest.raises(DatasetError, match='nowhere does not exist'):
        open_dataset(str(tmp_path / 'nowhere'), 16, 'train')
    (tmp_path / 'notes.txt').write_text('hi')
    with pytest.raises(DatasetError, match='notes.txt is a file but not'):
        open_dataset(str(tmp_path / 'notes.txt'), 16, 'train')


def test_split_is_stable_for_a_seed(tmp_path):
    root = str(_tree(tmp_path / 'f', {'a': 5, 'b': 5}))
    first = open_dataset(root, 16, 'test', test_fraction=0.4, seed=7)
    again = open_dataset(root, 16, 'test', test_fraction=0.4, seed=7)
    train = open_dataset(root, 16, 'train', test_fraction=0.4, seed=7)
    assert first.files == again.files and len(first) == 4
    assert not set(first.files) & set(train.files)


def test_empty_domain_folder_is_named(tmp_path):
    root = _tree(tmp_path / 'f', {'a': 2, 'b': 2})
    (root / 'c').mkdir()
    (root / 'c' / 'readme.txt').write_text('no pictures')
    with pytest.raises(DatasetError, match='c holds no images'):
        open_dataset(str(root), 16, 'train')


def _break(root):
    (root / 'a' / '0.png').write_bytes(b'')
    (root / 'a' / '1.png').write_text('not a png')
    data = (root / 'b' / '0.png').read_bytes()
    (root / 'b' / '0.png').write_bytes(data[:-30])


def test_unreadable_files_fail_without_skip_bad(tmp_path):
    root = _tree(tmp_path / 'f', {'a': 3, 'b': 3})
    _break(root)
    with pytest.raises(DatasetError, match='0.png.*--skip-bad'):
        open_dataset(str(root), 16, 'all')  # the empty file, up front
    (root / 'a' / '0.png').write_text('not a png either')
    ds = open_dataset(str(root), 16, 'all')
    with pytest.raises(DatasetError, match='0.png'):
        ds[0]


def test_skip_bad_counts_and_warns(tmp_path):
    root = _tree(tmp_path / 'f', {'a': 3, 'b': 3})
    _break(root)
    with pytest.warns(BadImageWarning, match='skipped 3 unreadable'):
        ds = open_dataset(str(root), 16, 'all', skip_bad=True)
    assert ds.n_skipped == 3 and len(ds) == 3
    assert ds.domains == [0, 1, 1]
    assert_is_labeled_dataset(ds, 16)


def test_skip_bad_that_empties_a_domain_is_an_error(tmp_path):
    root = _tree(tmp_path / 'f', {'a': 2, 'b': 2})
    _break(root)
    with pytest.warns(BadImageWarning):
        with pytest.raises(DatasetError, match='no readable image of '
                                               'domain.* a'):
            open_dataset(str(root), 16, 'all', skip_bad=True)


def test_pictures_too_small_for_a_face_are_left_out_and_counted(tmp_path):
    from datasets.folder import MIN_SIDE, SmallImageWarning
    root = _tree(tmp_path / 'f', {'a': 3, 'b': 3})
    tiny = np.zeros((MIN_SIDE - 1, 30, 3), np.uint8)
    Image.fromarray(tiny).save(str(root / 'a' / '1.png'))
    Image.fromarray(tiny[:, :MIN_SIDE - 1]).save(str(root / 'b' / '2.png'))
    Image.fromarray(np.zeros((MIN_SIDE, MIN_SIDE, 3), np.uint8)).save(
        str(root / 'b' / '0.png'))  # just large enough
    with pytest.warns(SmallImageWarning, match='left out 2 image.*smaller '
                      'than 8 x 8 .*1.png \\(30 x 7\\)'):
        ds = open_dataset(str(root), 16, 'all')
    assert ds.n_small == 2 and len(ds) == 4
    assert [os.path.basename(f) for f in ds.files] == ['0.png', '2.png',
                                                       '0.png', '1.png']
    assert ds.domains == [0, 0, 1, 1]
