import warnings

import cv2
import numpy as np
import pytest
from PIL import Image

from datasets import image_files
from datasets import transforms
from datasets.image_files import DatasetError, read_image


def _ramp(h=12, w=20):
    y, x = np.mgrid[:h, :w]
    return np.stack([x * 10, y * 20, (x + y) * 5], axis=2).astype(np.uint8)


def test_center_crop_takes_the_middle():
    img = _ramp(12, 20)
    np.testing.assert_array_equal(transforms.center_crop(img, 8),
                                  img[2:10, 6:14])


def test_center_crop_refuses_small_images():
    with pytest.raises(ValueError, match='smaller'):
        transforms.center_crop(_ramp(12, 20), 13)


def test_crop_box_inside_is_a_plain_slice():
    img = _ramp()
    np.testing.assert_array_equal(transforms.crop_box(img, (2, 3, 9, 10)),
                                  img[2:9, 3:10])


def test_crop_box_repeats_edges_past_the_border():
    img = _ramp()
    out = transforms.crop_box(img, (-2, -3, 14, 23))
    assert out.shape == (16, 26, 3)
    np.testing.assert_array_equal(out[2:14, 3:23], img)
    np.testing.assert_array_equal(out[0, 0], img[0, 0])
    np.testing.assert_array_equal(out[-1, -1], img[-1, -1])


def test_crop_box_outside_the_image_is_refused():
    with pytest.raises(ValueError, match='outside'):
        transforms.crop_box(_ramp(), (20, 30, 25, 35))


def test_float_conversion_round_trips():
    img = _ramp()
    chw = transforms.to_chw_float(img)
    assert chw.shape == (3, 12, 20) and chw.dtype == np.float32
    assert -1 <= chw.min() and chw.max() <= 1
    np.testing.assert_array_equal(transforms.from_chw_float(chw), img)


def _save(tmp_path, img, name, **kw):
    path = str(tmp_path / name)
    img.save(path, **kw)
    return path


@pytest.mark.parametrize('mode,value,expected', [
    ('L', 77, (77, 77, 77)),
    ('1', 1, (255, 255, 255)),
    ('RGB', (10, 200, 30), (10, 200, 30)),
    ('I;16', 40000, (156, 156, 156)),
    ('F', 0.5, (127, 127, 127)),
])
def test_modes_become_rgb(tmp_path, mode, value, expected):
    ext = 'tif' if mode in ('I;16', 'F') else 'png'
    path = _save(tmp_path, Image.new(mode, (16, 16), value), 'x.' + ext)
    img = read_image(path)
    assert img.shape == (16, 16, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img[5, 5], expected)


def test_16_bit_png_is_scaled_down(tmp_path):
    grey = np.full((16, 16), 51400, np.uint16)
    colour = np.zeros((16, 16, 3), np.uint16)
    colour[..., 2] = 65535  # OpenCV writes BGR: this is red
    cv2.imwrite(str(tmp_path / 'g.png'), grey)
    cv2.imwrite(str(tmp_path / 'c.png'), colour)
    np.testing.assert_array_equal(read_image(str(tmp_path / 'g.png'))[0, 0],
                                  (200, 200, 200))
    np.testing.assert_array_equal(read_image(str(tmp_path / 'c.png'))[0, 0],
                                  (255, 0, 0))


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = _save(tmp_path, Image.new('CMYK', (16, 16), (0, 255, 255, 0)),
                 'c.jpg', quality=95)
    np.testing.assert_allclose(read_image(path)[8, 8], (255, 0, 0), atol=8)


def test_transparency_is_composited_over_white(tmp_path):
    rgba = Image.new('RGBA', (16, 16), (0, 0, 0, 0))
    rgba.putpixel((0, 0), (255, 0, 0, 255))
    img = read_image(_save(tmp_path, rgba, 'a.png'))
    np.testing.assert_array_equal(img[0, 0], (255, 0, 0))
    np.testing.assert_array_equal(img[8, 8], (255, 255, 255))


def test_palette_images_with_and_without_transparency(tmp_path):
    pal = Image.new('P', (16, 16), 1)
    pal.putpalette([0, 0, 0, 0, 128, 255] + [0] * 762)
    plain = read_image(_save(tmp_path, pal, 'p.png'))
    np.testing.assert_array_equal(plain[3, 3], (0, 128, 255))
    clear = read_image(_save(tmp_path, pal, 't.png', transparency=1))
    np.testing.assert_array_equal(clear[3, 3], (255, 255, 255))


@pytest.mark.parametrize('orientation,corner', [
    (1, (0, 0)), (3, (-1, -1)), (6, (0, -1)), (8, (-1, 0))])
def test_exif_orientation_is_honoured(tmp_path, orientation, corner):
    img = np.zeros((10, 30, 3), np.uint8)
    img[0, 0] = (255, 0, 0)  # the stored top-left pixel
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = _save(tmp_path, Image.fromarray(img), 'r.png', exif=exif)
    out = read_image(path)
    assert out.shape == ((10, 30, 3) if orientation in (1, 3)
                         else (30, 10, 3))
    assert tuple(out[corner]) == (255, 0, 0)


def _png(tmp_path, name='x.png', size=40):
    img = np.random.RandomState(0).randint(0, 256, (size, size, 3))
    return _save(tmp_path, Image.fromarray(img.astype(np.uint8)), name)


@pytest.mark.parametrize('content', ['', 'text', 'half-png', 'half-jpg'])
def test_bad_files_are_named(tmp_path, content):
    path = tmp_path / 'bad.jpg'
    if content.startswith('half'):
        good = _png(tmp_path, 'good.' + content[-3:].replace('jpg', 'jpeg'))
        data = open(good, 'rb').read()
        path.write_bytes(data[:len(data) // 2])
    else:
        path.write_text(content)
    with pytest.raises(DatasetError, match='bad.jpg.*Remove or replace'):
        read_image(str(path))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DatasetError, match='nothing.png'):
        read_image(str(tmp_path / 'nothing.png'))


def test_large_pictures_are_refused_before_decoding(tmp_path):
    path = _png(tmp_path, size=40)
    with pytest.raises(DatasetError, match='decompression bomb'):
        read_image(path, max_pixels=1599)
    assert read_image(path, max_pixels=1600).shape == (40, 40, 3)


@pytest.mark.parametrize('limit', [1000, 700])  # PIL warns, then errors
def test_pil_bomb_warning_and_error_become_dataset_errors(
        tmp_path, monkeypatch, limit):
    path = _png(tmp_path, size=40)
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', limit)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # must not matter
        with pytest.raises(DatasetError, match='x.png'):
            read_image(path, max_pixels=None)
    assert Image.MAX_IMAGE_PIXELS == limit  # left as the caller set it


def test_probe_finds_truncated_png(tmp_path):
    data = open(_png(tmp_path), 'rb').read()
    (tmp_path / 'cut.png').write_bytes(data[:-30])
    with pytest.raises(DatasetError, match='cut.png'):
        image_files.probe_image(str(tmp_path / 'cut.png'))
    assert image_files.probe_image(_png(tmp_path, 'ok.png')) == (40, 40)
