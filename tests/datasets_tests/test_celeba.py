import warnings

import numpy as np
import pytest
from PIL import Image

from datasets import celeba
from datasets import celeba_lists
from datasets.celeba import CelebADataset
from datasets.image_files import BadImageWarning, DatasetError

NAMES = ['Bald', 'Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Gray_Hair',
         'Male', 'Young']
# Columns: Bald, Black, Blond, Brown, Gray, Male, Young. Rows 3, 7 and 8 have
# none or two of Black, Blond and Brown: ambiguous when those are chosen.
ROWS = [
    [-1, 1, -1, -1, -1, 1, 1],
    [-1, -1, 1, -1, -1, -1, 1],
    [-1, -1, -1, 1, -1, 1, -1],
    [1, -1, -1, -1, -1, 1, -1],
    [-1, 1, -1, -1, -1, -1, -1],
    [-1, -1, 1, -1, -1, -1, 1],
    [-1, -1, -1, 1, -1, 1, 1],
    [-1, 1, 1, -1, -1, 1, 1],
    [-1, -1, -1, -1, 1, 1, -1],
    [-1, 1, -1, -1, -1, -1, 1],
]


def _write_celeba(root, rows=ROWS, image_dir='img_align_celeba', size=(24,
                                                                      30)):
    images = root / image_dir
    images.mkdir(parents=True)
    rng = np.random.RandomState(0)
    lines = [str(len(rows)), ' '.join(NAMES)]
    for i, row in enumerate(rows):
        name = '{:06d}.jpg'.format(i + 1)
        img = rng.randint(0, 256, size[::-1] + (3,)).astype(np.uint8)
        Image.fromarray(img).save(str(images / name))
        lines.append(name + '  ' + ' '.join('{:2d}'.format(v) for v in row))
    (root / celeba_lists.ATTR_FILE).write_text('\n'.join(lines) + '\n')
    return root


def _open(root, attrs='Black_Hair Blond_Hair Brown_Hair Male Young', **kw):
    kw.setdefault('size', 16)
    kw.setdefault('split', 'all')
    kw.setdefault('crop', 20)
    return CelebADataset(str(root), attrs, **kw)


def test_examples_have_the_documented_form(tmp_path):
    ds = _open(_write_celeba(tmp_path))
    assert ds.label_names == ['Black_Hair', 'Blond_Hair', 'Brown_Hair',
                              'Male', 'Young']
    assert ds.attribute_groups == [
        ('hair', ('Black_Hair', 'Blond_Hair', 'Brown_Hair')),
        ('Male', ('Male',)), ('Young', ('Young',))]
    assert len(ds) == 7 and ds.n_ambiguous == 3 and ds.n_skipped == 0
    img, label = ds[0]
    assert img.shape == (3, 16, 16) and img.dtype == np.float32
    assert -1 <= img.min() and img.max() <= 1
    np.testing.assert_array_equal(label, [1, 0, 0, 1, 1])
    assert label.dtype == np.float32
    for i in range(len(ds)):
        np.testing.assert_array_equal(ds.label_of(i), ds[i][1])
        assert ds.label_of(i)[:3].sum() == 1


def test_hair_colours_are_gathered_where_the_first_is_named(tmp_path):
    ds = _open(_write_celeba(tmp_path), ['Male', 'Blond_Hair', 'Young',
                                         'Black_Hair'])
    assert ds.label_names == ['Male', 'Blond_Hair', 'Black_Hair', 'Young']
    assert [g for g, _ in ds.attribute_groups] == ['Male', 'hair', 'Young']


def test_one_hair_colour_is_a_binary_attribute(tmp_path):
    ds = _open(_write_celeba(tmp_path), 'Blond_Hair Male')
    assert ds.attribute_groups == [('Blond_Hair', ('Blond_Hair',)),
                                   ('Male', ('Male',))]
    assert len(ds) == 10 and ds.n_ambiguous == 0


def test_ambiguous_rows_can_be_kept(tmp_path):
    ds = _open(_write_celeba(tmp_path), drop_ambiguous=False)
    assert len(ds) == 10
    np.testing.assert_array_equal(ds.label_of(3)[:3], [0, 0, 0])


def test_crop_then_resize_follows_the_celeba_convention(tmp_path):
    ds = _open(_write_celeba(tmp_path), crop=20, size=20)
    original = np.asarray(Image.open(ds.files[0]).convert('RGB'))
    expected = original[5:25, 2:22].transpose(2, 0, 1) / 127.5 - 1
    np.testing.assert_allclose(ds[0][0], expected, atol=1e-6)


def test_split_is_disjoint_complete_stable_and_ignores_attrs(tmp_path):
    root = _write_celeba(tmp_path)
    kw = dict(drop_ambiguous=False, test_fraction=0.3, seed=4)
    train = _open(root, split='train', **kw)
    test = _open(root, split='test', **kw)
    assert not set(train.files) & set(test.files)
    assert len(train) + len(test) == 10 and len(test) == 3
    assert _open(root, 'Male', split='test', **kw).files == test.files


def test_partition_file_gives_the_split(tmp_path):
    root = _write_celeba(tmp_path)
    parts = ['{:06d}.jpg {}'.format(i + 1, 2 if i in (1, 5) else i % 2)
             for i in range(10)]
    (root / 'list_eval_partition.txt').write_text('\n'.join(parts))
    test = _open(root, 'Male', split='test',
                 partition_file=str(root / 'list_eval_partition.txt'))
    assert [f[-10:] for f in test.files] == ['000002.jpg', '000006.jpg']


def test_images_folder_and_explicit_image_dir(tmp_path):
    root = _write_celeba(tmp_path / 'a', image_dir='images')
    assert len(_open(root, 'Male')) == 10
    other = _write_celeba(tmp_path / 'b', image_dir='pics')
    with pytest.raises(DatasetError, match='img_align_celeba'):
        _open(other, 'Male')
    assert len(_open(other, 'Male', image_dir=str(other / 'pics'))) == 10


def test_unknown_attribute_lists_the_available_ones(tmp_path):
    with pytest.raises(DatasetError, match='Smiling.*Bald Black_Hair'):
        _open(_write_celeba(tmp_path), 'Male Smiling')


def test_too_small_to_crop_names_the_file(tmp_path):
    ds = _open(_write_celeba(tmp_path), 'Male', crop=celeba.CELEBA_CROP)
    with pytest.raises(DatasetError, match='000001.jpg is too small') as e:
        ds[0]
    assert 'train with --skip-bad to leave such pictures out' in str(e.value)
    assert 'crop size' not in str(e.value)


def _rewrite_row(root, index, text):
    path = root / celeba_lists.ATTR_FILE
    lines = path.read_text().splitlines()
    lines[index + 2] = text
    path.write_text('\n'.join(lines) + '\n')


@pytest.mark.parametrize('row,match', [
    ('000004.jpg 1 -1 -1', 'line 6 .000004.jpg. has 4 columns; expected 8'),
    ('000004.jpg 1 -1 -1 -1 -1 1 yes', 'line 6 .000004.jpg.: values'),
    ('000003.jpg -1 1 -1 -1 -1 1 1', 'more than once'),
])
def test_malformed_rows_are_named(tmp_path, row, match):
    root = _write_celeba(tmp_path)
    _rewrite_row(root, 3, row)
    with pytest.raises(DatasetError, match=match):
        _open(root, 'Male')


def test_truncated_list_and_bad_header(tmp_path):
    root = _write_celeba(tmp_path)
    path = root / celeba_lists.ATTR_FILE
    path.write_text('\n'.join(path.read_text().splitlines()[:-2]))
    with pytest.raises(DatasetError, match='declares 10 images.*8 rows'):
        _open(root, 'Male')
    path.write_text('Bald Male\n')
    with pytest.raises(DatasetError, match='first line'):
        _open(root, 'Male')


def test_rows_naming_missing_files(tmp_path):
    root = _write_celeba(tmp_path)
    (root / 'img_align_celeba' / '000002.jpg').unlink()
    with pytest.raises(DatasetError, match='1 image.*missing.*000002.jpg.*'
                       'train with --skip-bad to leave them out'):
        _open(root, 'Male')
    with pytest.warns(BadImageWarning, match='000002.jpg'):
        ds = _open(root, 'Male', skip_bad=True)
    assert len(ds) == 9 and ds.n_skipped == 1


def test_skip_bad_skips_unreadable_and_truncated_files(tmp_path):
    root = _write_celeba(tmp_path)
    images = root / 'img_align_celeba'
    (images / '000003.jpg').write_bytes(b'')
    data = (images / '000001.jpg').read_bytes()
    (images / '000001.jpg').write_bytes(data[:-40])
    with pytest.raises(DatasetError, match='000003.jpg.*--skip-bad'):
        _open(root, 'Male')  # the empty file is refused up front
    (images / '000003.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(DatasetError, match='000001.jpg'):
        _open(root, 'Male')[0]  # a truncated one when it is read
    with pytest.warns(BadImageWarning, match='000003.jpg'):
        ds = _open(root, 'Male', skip_bad=True)
    assert ds.n_skipped == 1 and len(ds) == 9
    with pytest.warns(BadImageWarning, match='000001.jpg'):
        img, label = ds[0]  # a truncated JPEG passes the header probe
    np.testing.assert_array_equal(label, ds.label_of(1))
    assert ds.n_skipped == 2
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        ds[0]  # the bad file is remembered: no second warning
