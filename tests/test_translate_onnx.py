"""translate.py --export-onnx and --model PATH.onnx on a tiny trained run:
the .onnx holds the run's weight average and translates photos as the
Chainer model does."""
import os
import sys

import numpy as np
from PIL import Image
import pytest

from datasets.image_files import read_image
from datasets.preparation import faces
from datasets import transforms
from faceapp import export
from faceapp import model_loading
from stargan.conv import functions as conv
import train
import translate

#: Largest difference of the generators' float32 outputs in [-1, 1]
#: (different summation orders; see tests/faceapp_tests/test_onnx_export).
TOLERANCE = 1e-4
#: In uint8 levels, 1e-4 moves a pixel across at most one rounding
#: boundary (1 level); PIL's bicubic upscaling of the patch back to the
#: face's size can make that up to 1.56 (its weights' absolute sum, 1.25
#: per axis), so 2 after rounding; the feathered paste is a convex blend.
PASTED_LEVELS = 2


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    """A tiny StarGAN run whose G was updated (n_critic 1), with the
    default weight average (--ema-beta 0.999)."""
    out = str(tmp_path_factory.mktemp('run'))
    assert train.main(['--preset', 'tiny', '--n-train', '30', '--n-test',
                       '15', '--iterations', '3', '--n-critic', '1',
                       '--eval-interval', '0', '--out', out]) == 0
    return out


@pytest.fixture(scope='module')
def onnx_path(run_dir, tmp_path_factory):
    path = str(tmp_path_factory.mktemp('onnx') / 'generator.onnx')
    assert translate.main(['--model', run_dir, '--export-onnx', path]) == 0
    return path


@pytest.fixture(scope='module')
def astronaut(tmp_path_factory):
    img = pytest.importorskip('skimage.data').astronaut()
    path = str(tmp_path_factory.mktemp('a') / 'astronaut.jpg')
    Image.fromarray(img).save(path)
    return path


def test_the_onnx_file_holds_the_runs_weight_average(run_dir, onnx_path):
    gen, config = model_loading.load_model(run_dir)
    loaded, onnx_config = model_loading.load_model(onnx_path)
    assert onnx_config == config
    assert config['weights'] == 'ema'
    ema, _ = export.load_exported(os.path.join(run_dir, export.EXPORT_NAME))
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (3, 3, 32, 32)).astype(np.float32)
    c = np.eye(5, dtype=np.float32)[[0, 2, 4]]
    with conv.translating():
        want = gen(x, c).array
        np.testing.assert_array_equal(ema(x, c).array, want)
    assert np.abs(loaded(x, c).array - want).max() <= TOLERANCE


def test_a_photo_translates_as_with_the_chainer_model(
        tmp_path, run_dir, onnx_path, astronaut):
    outs = {}
    for name, model in (('chainer', run_dir), ('onnx', onnx_path)):
        out = str(tmp_path / name)
        assert translate.main([astronaut, '--target', 'smile', '--model',
                               model, '--out', out, '--quiet']) == 0
        outs[name] = np.asarray(Image.open(
            os.path.join(out, 'astronaut_smile.png'))).astype(int)
    orig = read_image(astronaut)
    assert outs['onnx'].shape == orig.shape
    assert np.abs(outs['onnx'] - outs['chainer']).max() <= PASTED_LEVELS
    assert np.any(outs['onnx'] != orig)  # the face was edited
    # The generators agree in float on the very crop the pipeline cut.
    found = faces.detect_faces(orig, faces.load_cascade())
    box = faces.face_square(found[0], export.DEFAULT_FACE_MARGIN,
                            *orig.shape[:2])
    crop = transforms.to_chw_float(transforms.resize(
        transforms.crop_box(orig, box), 32))[None]
    label = np.eye(5, dtype=np.float32)[[1]]
    gen, _ = model_loading.load_model(run_dir)
    loaded, _ = model_loading.load_model(onnx_path)
    with conv.translating():
        want = gen(crop, label).array
    assert np.abs(loaded(crop, label).array - want).max() <= TOLERANCE


def test_list_and_a_grid_of_every_domain_from_the_onnx_file(
        tmp_path, onnx_path, astronaut, capsys):
    assert translate.main(['--model', onnx_path, '--list']) == 0
    assert 'neutral' in capsys.readouterr().out
    assert translate.main([astronaut, '--model', onnx_path, '--all',
                           '--no-detect', '--batch-size', '2', '--quiet',
                           '--out', str(tmp_path)]) == 0
    assert os.path.exists(str(tmp_path / 'astronaut_all.png'))


def test_without_onnxruntime_one_line_names_the_extra(
        onnx_path, astronaut, monkeypatch, refused, tmp_path):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    line = refused(translate.main, [astronaut, '--model', onnx_path,
                                    '--target', 'smile', '--out',
                                    str(tmp_path)])
    assert 'onnxruntime' in line and '.[onnx]' in line
    assert not list(tmp_path.iterdir())


def test_bad_exports_are_refused_with_the_flag_named(
        tmp_path, run_dir, onnx_path, cyclegan_run, refused, monkeypatch):
    line = refused(translate.main, ['--model', run_dir, '--export-onnx',
                                    str(tmp_path / 'g.npz')])
    assert '--export-onnx' in line and '.onnx' in line
    line = refused(translate.main, ['--model', cyclegan_run,
                                    '--export-onnx', str(tmp_path / 'c.onnx')])
    assert 'StarGAN' in line and 'cyclegan' in line
    line = refused(translate.main, ['--model', onnx_path, '--export-onnx',
                                    str(tmp_path / 'again.onnx')])
    assert 'already an ONNX model' in line
    monkeypatch.setitem(sys.modules, 'onnx', None)
    line = refused(translate.main, ['--model', run_dir, '--export-onnx',
                                    str(tmp_path / 'g.onnx')])
    assert '.[onnx]' in line
    assert not list(tmp_path.iterdir())


def test_an_unwritable_destination_is_one_line(
        tmp_path, run_dir, refused, failing_writes):
    failing_writes(tmp_path)
    line = refused(translate.main, ['--model', run_dir, '--export-onnx',
                                    str(tmp_path / 'g.onnx')])
    assert '--export-onnx' in line and str(tmp_path) in line
