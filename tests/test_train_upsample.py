"""train.py --upsample resize end to end: args.json, the export,
translate.py (resuming with the other value and CycleGAN's refusal: in
test_train_attention.py)."""
import os

import numpy as np
import pytest

import chainer

from faceapp import export
from faceapp import model_loading
from faceapp import run_files
from stargan.models import stargan as networks
from tests.test_train_attention import translate_py_matches_the_export
import train

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
    assert translate_py_matches_the_export(run, tmp_path)[
        'upsample'] == 'resize'


def test_help_says_why_one_would_resize(capsys):
    with pytest.raises(SystemExit):
        train.main(['--help'])
    out = ' '.join(capsys.readouterr().out.split())
    assert '--upsample {deconv,resize}' in out
    assert 'checkerboard' in out and 'the default stays deconv' in out
