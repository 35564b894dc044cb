"""translate.py --upscale: faces enlarged by a super-resolution model
before they are pasted back."""
import numpy as np
from PIL import Image
import pytest

import chainer

import datasets
from datasets.image_files import read_image
from datasets.preparation import faces
from datasets import transforms
from faceapp import export
from faceapp import sr_export
from faceapp import translation
from stargan.metrics import fidelity
from stargan.models import stargan as networks
import translate

NAMES = ['neutral', 'smile', 'sad', 'surprised', 'angry']


def _generator(path, size):
    gen = networks.Generator(5, conv_dim=4, n_res=1)
    export.export_generator(str(path), gen, {
        'format_version': 1, 'model': 'stargan', 'preset': 'tiny',
        'image_size': size, 'g_conv_dim': 4, 'g_res': 1,
        'label_names': NAMES, 'attribute_groups': [['expression', NAMES]]})
    return str(path), gen


def _run(model, *argv):
    return translate.main(list(argv) + ['--model', model, '--quiet'])


def test_detected_face_is_enlarged_by_the_model_then_pasted(
        tmp_path, sr_run):
    photo = pytest.importorskip('skimage.data').astronaut()
    picture = str(tmp_path / 'astronaut.png')
    Image.fromarray(photo).save(picture)
    model, gen = _generator(tmp_path / 'g.npz', 32)
    assert _run(model, picture, '--target', 'angry', '--upscale', sr_run,
                '--out', str(tmp_path / 'out')) == 0
    out = read_image(str(tmp_path / 'out' / 'astronaut_angry.png'))
    found = faces.detect_faces(photo, faces.load_cascade())
    top, left, bottom, right = box = faces.face_square(found[0], .25, 512,
                                                       512)
    side, band = bottom - top, int(round(.12 * (bottom - top)))
    assert side > 64  # more than the x2 model's 64 px: it is enlarged
    crop = transforms.resize(transforms.crop_box(photo, box), 32)
    cpu = chainer.get_device('@numpy')
    translated = translation.Translator(gen, cpu)(
        crop[None], np.eye(5, dtype=np.float32)[[4]])
    net, _ = sr_export.load(sr_run)
    big = sr_export.Upscaler(net, cpu)(translated, [side])[0]
    assert big.shape == (64, 64, 3)
    patch = transforms.resize(big, side)
    np.testing.assert_array_equal(
        out[top + band:bottom - band, left + band:right - band],
        patch[band:-band, band:-band])
    outside = np.ones(out.shape[:2], bool)
    outside[top:bottom, left:right] = False
    np.testing.assert_array_equal(out[outside], photo[outside])


class _Unchanged(object):
    """A translator that returns each face as it gets it: what is left is
    the paste-back's own loss of resolution."""

    def __init__(self, generator, device, batch_size=16):
        pass

    def __call__(self, crops, labels):
        return crops


def _gradient_energy(images):
    """Mean squared difference of neighbouring pixels of uint8 ``(N, H, W,
    3)`` pictures: higher is sharper."""
    images = images.astype(np.float64)
    return np.mean(np.diff(images, axis=1) ** 2) + np.mean(
        np.diff(images, axis=2) ** 2)


def test_the_pasted_face_is_sharper_and_closer_to_the_original(
        tmp_path, sr_run, monkeypatch):
    # 64 px faces through a 16 px model: bicubic 16 -> 64 without the
    # model, the x2 network (16 -> 32) and bicubic to 64 with it.
    monkeypatch.setattr(translation, 'Translator', _Unchanged)
    model, _ = _generator(tmp_path / 'g.npz', 16)
    people = datasets.SyntheticFaceDataset(4, 64, 'test', seed=11)
    originals = []
    for k in range(len(people)):
        originals.append(transforms.from_chw_float(people[k][0]))
        Image.fromarray(originals[-1]).save(str(tmp_path / '{}.png'.format(
            k)))
    results = {}
    for name, extra in (('plain', []), ('sr', ['--upscale', sr_run])):
        out = tmp_path / name
        assert _run(model, *[str(tmp_path / '{}.png'.format(k))
                             for k in range(4)],
                    '--no-detect', '--target', 'smile', '--out', str(out),
                    *extra) == 0
        results[name] = np.stack([read_image(str(
            out / '{}_smile.png'.format(k))) for k in range(4)])
    truth = np.stack(originals)
    gain = fidelity.psnr(results['sr'], truth) - fidelity.psnr(
        results['plain'], truth)
    assert np.all(gain > 0)
    energy = {k: _gradient_energy(v) for k, v in results.items()}
    assert energy['plain'] < energy['sr'] < _gradient_energy(truth)


def test_a_bad_upscale_file_is_one_clear_message(tmp_path, capsys):
    model, _ = _generator(tmp_path / 'g.npz', 32)
    picture = str(tmp_path / 'face.png')
    Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(picture)
    junk = tmp_path / 'junk.npz'
    junk.write_bytes(b'junk')
    for upscale, message in [
            (str(junk), '--upscale: {} is not'.format(junk)),
            (model, '--upscale: {} is a stargan generator, not a '
                    'super-resolution model'.format(model)),
            (str(tmp_path), '--upscale: {} does not exist'.format(
                tmp_path / 'upscaler.npz'))]:
        with pytest.raises(SystemExit) as e:
            _run(model, picture, '--no-detect', '--target', 'smile',
                 '--upscale', upscale, '--out', str(tmp_path / 'out'))
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert message in err and 'Traceback' not in err
    assert not (tmp_path / 'out').exists()
