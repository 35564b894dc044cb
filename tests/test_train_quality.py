"""train.py's quality options: the average of G's weights (--ema-beta) in
snapshots, grids, evaluation, the export and translate.py; --augment."""
import json
import os

import numpy as np
from PIL import Image
import pytest

import chainer

from faceapp import export
from faceapp import model_loading
from faceapp import options
from faceapp import run_files
from faceapp import runs
from faceapp import wiring
import train
import translate

TINY = ['--preset', 'tiny', '--n-train', '20', '--n-test', '5',
        '--n-samples', '2', '--log-interval', '2', '--eval-interval', '0',
        '--n-critic', '1', '--iterations', '4']


def _arrays(path, prefix):
    with np.load(path) as f:
        return {k[len(prefix):]: f[k] for k in f.files
                if k.startswith(prefix)}


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('ema') / 'run')
    assert train.main(TINY + ['--out', out]) == 0
    return out


def test_the_export_holds_the_average_not_the_last_g(run):
    snap = os.path.join(run, 'snapshot_iter_4')
    avg = _arrays(snap, run_files.EMA_PREFIX)
    raw = _arrays(snap, run_files.GEN_PREFIXES['gen'])
    exported = _arrays(os.path.join(run, export.EXPORT_NAME), '')
    config = json.loads(str(exported.pop(export.CONFIG_KEY)))
    assert config['weights'] == 'ema' and config['ema_beta'] == 0.999
    assert set(exported) == set(avg) == set(raw) and len(avg) > 10
    for k in avg:
        np.testing.assert_array_equal(exported[k], avg[k])
    assert not all(np.array_equal(avg[k], raw[k]) for k in avg)
    assert int(np.load(snap)['updater/ema/updates']) == 4


def test_beta_zero_exports_the_last_g_and_keeps_no_average(tmp_path):
    out = str(tmp_path / 'raw')
    assert train.main(TINY + ['--ema-beta', '0', '--out', out]) == 0
    snap = os.path.join(out, 'snapshot_iter_4')
    assert not _arrays(snap, 'updater/ema/')
    raw = _arrays(snap, run_files.GEN_PREFIXES['gen'])
    exported = _arrays(os.path.join(out, export.EXPORT_NAME), '')
    assert json.loads(str(exported.pop(export.CONFIG_KEY)))['weights'] == \
        'last'
    for k in raw:
        np.testing.assert_array_equal(exported[k], raw[k])


def test_a_run_without_an_average_resumes_with_one(tmp_path):
    # A snapshot written with --ema-beta 0 (or before the option existed)
    # lacks the average: resuming starts it at the resumed G.
    out = str(tmp_path / 'run')
    assert train.main(TINY + ['--ema-beta', '0', '--out', out]) == 0
    assert train.main(TINY + ['--iterations', '6', '--out', out,
                              '--resume', 'auto']) == 0
    snap = os.path.join(out, 'snapshot_iter_6')
    assert int(np.load(snap)['updater/ema/updates']) == 2
    avg = _arrays(snap, run_files.EMA_PREFIX)
    raw = _arrays(snap, run_files.GEN_PREFIXES['gen'])
    assert set(avg) == set(raw)


def test_grids_and_evaluation_show_the_average(tmp_path):
    parser, args = train.parse_args(TINY[:-6] + [
        '--eval-interval', '2', '--out', str(tmp_path)])
    opts = options.resolve(vars(args))
    data = runs.make_datasets(opts)
    trainer, _, _ = wiring.make_trainer(opts, *data,
                                        chainer.get_device('@numpy'))
    average = trainer.updater.ema.average
    assert average is not trainer.updater.generator
    assert trainer.get_extension('SampleGrid').generator is average
    assert trainer.get_extension('Evaluate').generator is average


def test_translate_from_a_snapshot_uses_the_average(run, tmp_path):
    snap = os.path.join(run, 'snapshot_iter_4')
    gen, config = model_loading.load_model(snap)
    assert config['weights'] == 'ema'
    avg = _arrays(snap, run_files.EMA_PREFIX)
    for name, p in gen.namedparams():
        np.testing.assert_array_equal(p.array, avg[name.lstrip('/')])
    crop = np.random.RandomState(0).randint(0, 256, (32, 32, 3)).astype(
        np.uint8)
    Image.fromarray(crop).save(str(tmp_path / 'face.png'))
    pictures = {}
    for name, model in (('snapshot', snap), ('export', run)):
        out = str(tmp_path / name)
        assert translate.main([str(tmp_path / 'face.png'), '--model', model,
                               '--no-detect', '--target', 'smile', '--out',
                               out, '--quiet']) == 0
        pictures[name] = np.asarray(Image.open(os.path.join(out,
                                                            'face_smile.png')))
    # The run dir's generator.npz holds the average (tested above).
    np.testing.assert_array_equal(pictures['snapshot'], pictures['export'])


@pytest.mark.parametrize('flag, value, words', [
    ('--ema-beta', '1', '[0, 1)'), ('--ema-beta', '-0.1', '[0, 1)'),
    ('--ema-beta', 'half', '[0, 1)'),
    ('--augment', 'translation,flip', 'cutout')])
def test_bad_values_name_their_flag(capsys, tmp_path, flag, value, words):
    with pytest.raises(SystemExit) as e:
        train.main(TINY + [flag, value, '--out', str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert flag in err and words in err and 'Traceback' not in err


def test_augment_is_for_stargan_only(capsys, tmp_path):
    with pytest.raises(SystemExit):
        train.main(['--model', 'cyclegan', '--domains', 'smile', 'sad',
                    '--augment', 'cutout', '--out', str(tmp_path)])
    assert '--augment works with --model stargan' in capsys.readouterr().err


def test_help_explains_both_flags(capsys):
    with pytest.raises(SystemExit):
        train.main(['--help'])
    out = ' '.join(capsys.readouterr().out.split())
    assert '--ema-beta' in out and '0 turns it off' in out
    assert '--augment' in out and 'the default stays none' in out
    assert '--adversarial' in out and 'R1 penalty' in out
