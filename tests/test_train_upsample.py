"""train.py --upsample resize end to end: args.json, the export,
translate.py, resuming, refusals."""
import os

import numpy as np
from PIL import Image
import pytest

import chainer

from faceapp import export
from faceapp import model_loading
from faceapp import run_files
from faceapp import translation
from stargan.models import stargan as networks
import train
import translate

TINY = ['--preset', 'tiny', '--n-train', '20', '--n-test', '5',
        '--n-samples', '2', '--log-interval', '2', '--eval-interval', '0',
        '--n-critic', '1', '--iterations', '2']


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('upsample') / 'run')
    assert train.main(TINY + ['--upsample', 'resize', '--out', out]) == 0
    return out


def test_the_export_rebuilds_the_trained_network(run):
    assert run_files.read_options(run)['upsample'] == 'resize'
    gen, config = export.load_exported(os.path.join(run, export.EXPORT_NAME))
    assert config['upsample'] == 'resize'
    assert isinstance(gen.up2, networks.ResizeConvolution2D)
    trained, _ = model_loading.load_model(os.path.join(run,
                                                       'snapshot_iter_2'))
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 32, 32)).astype(
        np.float32)
    c = np.eye(5, dtype=np.float32)[[1, 4]]
    with chainer.using_config('train', False):
        np.testing.assert_array_equal(gen(x, c).array, trained(x, c).array)


def test_translate_py_runs_a_resize_export(run, tmp_path):
    crop = np.random.RandomState(0).randint(0, 256, (32, 32, 3)).astype(
        np.uint8)
    Image.fromarray(crop).save(str(tmp_path / 'face.png'))
    out = str(tmp_path / 'out')
    assert translate.main([str(tmp_path / 'face.png'), '--model', run,
                           '--no-detect', '--target', 'smile', '--out', out,
                           '--quiet']) == 0
    got = np.asarray(Image.open(os.path.join(out, 'face_smile.png')))
    gen, config = export.load_exported(os.path.join(run, export.EXPORT_NAME))
    labels = np.eye(5, dtype=np.float32)[[config['label_names'].index(
        'smile')]]
    want = translation.Translator(gen, chainer.get_device('@numpy'))(
        crop[None], labels)[0]
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('first, then', [
    ([], ['--upsample', 'resize']), (['--upsample', 'resize'], [])])
def test_resuming_with_the_other_upsampling_is_refused(capsys, tmp_path,
                                                       first, then):
    out = str(tmp_path / 'run')
    assert train.main(TINY + first + ['--out', out]) == 0
    capsys.readouterr()
    before = sorted(os.listdir(out))
    with pytest.raises(SystemExit) as e:
        train.main(TINY + then + ['--iterations', '4', '--out', out,
                                  '--resume', 'auto'])
    assert e.value.code == 2
    saved = (first + ['--upsample', 'deconv'])[1]
    assert 'snapshot_iter_2 holds a --upsample {} model'.format(saved) in \
        capsys.readouterr().err
    assert sorted(os.listdir(out)) == before


def test_cyclegan_refuses_resize_upsampling(capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        train.main(['--model', 'cyclegan', '--domains', 'smile', 'sad',
                    '--upsample', 'resize', '--out', str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert '--upsample resize works with --model stargan only' in err
    assert 'Traceback' not in err and not os.listdir(str(tmp_path))


def test_help_says_why_one_would_resize(capsys):
    with pytest.raises(SystemExit):
        train.main(['--help'])
    out = ' '.join(capsys.readouterr().out.split())
    assert '--upsample {deconv,resize}' in out
    assert 'checkerboard' in out and 'the default stays deconv' in out
