import numpy as np
import pytest
from PIL import Image

from datasets import folder
from datasets.folder import DatasetError, FolderDataset


def _write_tree(root, counts, size=(40, 30)):
    rng = np.random.RandomState(0)
    for domain, n in counts.items():
        d = root / domain
        d.mkdir(parents=True)
        for i in range(n):
            img = rng.randint(0, 256, size[::-1] + (3,)).astype(np.uint8)
            Image.fromarray(img).save(str(d / '{:03d}.png'.format(i)))
    return root


def test_examples_have_the_documented_form(tmp_path):
    root = _write_tree(tmp_path / 'faces', {'happy': 5, 'sad': 4})
    ds = FolderDataset(str(root), size=16, split='all')
    assert ds.label_names == ['happy', 'sad'] and len(ds) == 9
    img, label = ds[6]
    assert img.shape == (3, 16, 16) and img.dtype == np.float32
    assert -1 <= img.min() and img.max() <= 1
    np.testing.assert_array_equal(label, [0, 1])
    assert label.dtype == np.float32


def test_split_is_disjoint_complete_and_stable(tmp_path):
    root = str(_write_tree(tmp_path / 'f', {'a': 10, 'b': 7}))
    train = FolderDataset(root, 16, 'train', test_fraction=0.2, seed=3)
    test = FolderDataset(root, 16, 'test', test_fraction=0.2, seed=3)
    again = FolderDataset(root, 16, 'test', test_fraction=0.2, seed=3)
    assert not set(train.files) & set(test.files)
    assert len(train) + len(test) == 17
    assert test.files == again.files
    assert sorted(test.domains) == [0, 0, 1, 1]


def test_grayscale_and_rgba_become_rgb(tmp_path):
    root = tmp_path / 'f'
    for name, mode in (('a', 'L'), ('b', 'RGBA')):
        (root / name).mkdir(parents=True)
        Image.new(mode, (20, 20)).save(str(root / name / 'x.png'))
    ds = FolderDataset(str(root), 16, 'all')
    assert ds[0][0].shape == ds[1][0].shape == (3, 16, 16)


def test_flip_mirrors_training_images_reproducibly(tmp_path):
    root = str(_write_tree(tmp_path / 'f', {'a': 2, 'b': 2}))
    plain = FolderDataset(root, 16, 'all')[0][0]
    flipped = [FolderDataset(root, 16, 'all', flip=True, seed=s)[0][0]
               for s in range(6)]
    assert any(np.array_equal(f, plain[..., ::-1]) for f in flipped)
    assert any(np.array_equal(f, plain) for f in flipped)


def test_missing_directory(tmp_path):
    with pytest.raises(DatasetError, match='nowhere'):
        FolderDataset(str(tmp_path / 'nowhere'))


def test_single_domain_is_refused(tmp_path):
    root = _write_tree(tmp_path / 'f', {'only': 2})
    with pytest.raises(DatasetError, match='at least two'):
        FolderDataset(str(root))


def test_empty_domain_folder_is_named(tmp_path):
    root = _write_tree(tmp_path / 'f', {'a': 2})
    (root / 'empty').mkdir()
    with pytest.raises(DatasetError, match='empty'):
        FolderDataset(str(root))


@pytest.mark.parametrize('content', [b'', b'this is not a png'])
def test_unreadable_image_is_named(tmp_path, content):
    root = _write_tree(tmp_path / 'f', {'a': 1, 'b': 1})
    bad = root / 'b' / 'broken.png'
    bad.write_bytes(content)
    with pytest.raises(DatasetError, match='broken.png'):
        # An empty file is refused up front, another when it is read.
        ds = FolderDataset(str(root), 16, 'all')
        ds[ds.files.index(str(bad))]


def test_read_image_honours_exif_orientation(tmp_path):
    img = Image.new('RGB', (30, 10), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    path = str(tmp_path / 'r.jpg')
    img.save(path, exif=exif)
    assert folder.read_image(path).shape == (30, 10, 3)
