"""Super-resolution pairs and face folders of any layout."""
import numpy as np
from PIL import Image
import pytest

import datasets
from datasets.image_files import DatasetError
from datasets import sr_pairs
from datasets import transforms


def test_low_is_the_face_shrunk_as_translate_shrinks_it():
    faces = datasets.SyntheticFaceDataset(3, 32, 'test', seed=0)
    pairs = sr_pairs.SuperResolutionPairs(faces, 4)
    low, high = pairs[1]
    assert low.shape == (3, 8, 8) and high.shape == (3, 32, 32)
    assert low.dtype == high.dtype == np.float32
    np.testing.assert_array_equal(high, faces[1][0])
    expected = transforms.resize(transforms.from_chw_float(high), 8)
    np.testing.assert_array_equal(transforms.from_chw_float(low), expected)
    assert len(pairs) == 3


def test_a_side_not_divisible_by_the_scale_is_refused():
    faces = datasets.SyntheticFaceDataset(1, 34, 'test', seed=0)
    with pytest.raises(ValueError, match='34 px'):
        sr_pairs.SuperResolutionPairs(faces, 4)[0]


def _write(path, seed, size=(20, 12)):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.RandomState(seed).randint(0, 256, size[::-1] + (3,))
    Image.fromarray(pixels.astype(np.uint8)).save(str(path))


def test_face_folder_reads_every_picture_under_it_and_splits_them(tmp_path):
    for k, name in enumerate(['a.png', 'x/b.jpg', 'x/y/c.png', 'd.png',
                              '.hidden/e.png']):
        _write(tmp_path / name, k)
    (tmp_path / 'notes.txt').write_text('not a picture')
    every = sr_pairs.face_folder(str(tmp_path), 8, 'all')
    assert [f[len(str(tmp_path)) + 1:] for f in every.files] == [
        'a.png', 'd.png', 'x/b.jpg', 'x/y/c.png']
    image, label = every[0]
    assert image.shape == (3, 8, 8) and label.shape == (1,)
    train = sr_pairs.face_folder(str(tmp_path), 8, 'train', 0.25, seed=1)
    test = sr_pairs.face_folder(str(tmp_path), 8, 'test', 0.25, seed=1)
    assert len(test.files) == 1 and len(train.files) == 3
    assert set(train.files) | set(test.files) == set(every.files)


def test_an_empty_or_missing_face_folder_is_one_clear_message(tmp_path):
    with pytest.raises(DatasetError, match='holds no pictures'):
        sr_pairs.face_folder(str(tmp_path), 8, 'all')
    with pytest.raises(DatasetError, match='not a folder'):
        sr_pairs.face_folder(str(tmp_path / 'none'), 8, 'all')
