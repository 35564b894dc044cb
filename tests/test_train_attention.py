"""train.py --generator attention and recolour end to end: one and several
datasets, the export, loading from a snapshot, translate.py, refusals (of
--upsample resize too)."""
import json
import os

import numpy as np
from PIL import Image
import pytest

import chainer

from faceapp import export
from faceapp import model_loading
from faceapp import run_files
from faceapp import translation
from stargan import generators
import train
import translate

TINY = ['--preset', 'tiny', '--n-train', '20', '--n-test', '5',
        '--n-samples', '2', '--log-interval', '2', '--eval-interval', '0',
        '--n-critic', '1', '--iterations', '2']
JOINT = ['--dataset', 'synthetic:expression', '--dataset', 'synthetic:hair']


#: The generators with a mask.
MASKED = ['attention', 'recolour']


@pytest.fixture(scope='module', params=MASKED)
def run(request, tmp_path_factory):
    """A tiny run of each masked generator: ``(out dir, kind)``."""
    out = str(tmp_path_factory.mktemp(request.param) / 'run')
    assert train.main(TINY + ['--generator', request.param,
                              '--out', out]) == 0
    return out, request.param


def _last_log(out):
    with open(os.path.join(out, 'log')) as f:
        return json.load(f)[-1]


def test_the_run_exports_and_reloads_its_generator(run):
    run, kind = run
    cls = generators.GENERATORS[kind]
    gen, config = export.load_exported(os.path.join(run, export.EXPORT_NAME))
    assert config['generator'] == kind and type(gen) is cls
    snap = os.path.join(run, 'snapshot_iter_2')
    from_snapshot, _ = model_loading.load_model(snap)
    assert type(from_snapshot) is cls
    with np.load(snap) as f:  # the average of the mask head, too
        np.testing.assert_array_equal(
            from_snapshot.a_out.W.array,
            f[run_files.EMA_PREFIX + 'a_out/W'])
    log = _last_log(run)
    assert 0 < log['gen/loss_mask'] < 1 and log['gen/loss_mask_tv'] > 0


def translate_py_matches_the_export(run, tmp_path):
    """translate.py's picture of a random crop with run's export equals
    the export's generator's translation of it."""
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
    return config


def test_translate_py_runs_the_export(run, tmp_path):
    run, kind = run
    assert translate_py_matches_the_export(run, tmp_path)[
        'generator'] == kind


@pytest.mark.parametrize('kind', MASKED)
def test_a_joint_run_trains_and_shows_the_masks(tmp_path, kind):
    out = str(tmp_path / 'joint')
    assert train.main(TINY + JOINT + ['--generator', kind,
                                      '--out', out]) == 0
    assert 'gen/loss_mask' in _last_log(out)
    # 2 faces (one per dataset), each with its mask row; 1 + 10 domains.
    grid = Image.open(os.path.join(out, 'samples_latest.png'))
    assert grid.size == (11 * 66 + 2, 14 + 4 * 66 + 2)
    _, config = export.load_exported(os.path.join(out, export.EXPORT_NAME))
    assert config['generator'] == kind and 'datasets' in config


#: The generator options a resumed run and CycleGAN must refuse:
#: (flag, the other value, the default).
KINDS = [('--generator', 'attention', 'plain'),
         ('--generator', 'recolour', 'plain'),
         ('--upsample', 'resize', 'deconv'),
         ('--dis-head', 'per-domain', 'shared')]


@pytest.mark.parametrize('other_first', [False, True])
@pytest.mark.parametrize('flag, other, default', KINDS)
def test_resuming_with_the_other_generator_is_refused(
        capsys, tmp_path, flag, other, default, other_first):
    plain = TINY
    first, then = ([flag, other], []) if other_first else ([], [flag, other])
    out = str(tmp_path / 'run')
    assert train.main(plain + first + ['--out', out]) == 0
    capsys.readouterr()
    before = sorted(os.listdir(out))
    with pytest.raises(SystemExit) as e:
        train.main(plain + then + ['--iterations', '4', '--out', out,
                                   '--resume', 'auto'])
    assert e.value.code == 2
    saved = other if other_first else default
    assert 'snapshot_iter_2 holds a {} {} model'.format(flag, saved) in \
        capsys.readouterr().err
    assert sorted(os.listdir(out)) == before


@pytest.mark.parametrize('flag, other, default', KINDS)
def test_cyclegan_refuses_the_stargan_generators(capsys, tmp_path, flag,
                                                 other, default):
    with pytest.raises(SystemExit) as e:
        train.main(['--model', 'cyclegan', '--domains', 'smile', 'sad',
                    flag, other, '--out', str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert '{} {} works with --model stargan only'.format(flag, other) in err
    assert 'Traceback' not in err and not os.listdir(str(tmp_path))


@pytest.mark.parametrize('first, then', [([], ['--dis-minibatch-std']),
                                         (['--dis-minibatch-std'], [])])
def test_resuming_with_or_without_the_spread_feature_is_refused(
        capsys, tmp_path, first, then):
    out = str(tmp_path / 'run')
    assert train.main(TINY + first + ['--out', out]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        train.main(TINY + then + ['--iterations', '4', '--out', out,
                                  '--resume', 'auto'])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert 'holds a discriminator {} --dis-minibatch-std'.format(
        'with' if first else 'without') in err
    assert not os.path.exists(os.path.join(out, 'snapshot_iter_4'))


@pytest.mark.parametrize('labels', [['--attributes', 'expression', 'hair'],
                                    JOINT])
def test_a_per_domain_critic_needs_one_group_of_domains(capsys, tmp_path,
                                                        labels):
    out = str(tmp_path / 'run')
    with pytest.raises(SystemExit) as e:
        train.main(TINY + labels + ['--dis-head', 'per-domain', '--out', out])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert '--dis-head per-domain needs one exclusive group of domains' in err
    assert 'Traceback' not in err
    assert not os.path.exists(os.path.join(out, 'snapshot_iter_2'))


def test_help_names_the_default_and_where_it_was_measured(capsys):
    with pytest.raises(SystemExit):
        train.main(['--help'])
    out = ' '.join(capsys.readouterr().out.split())
    assert '--generator {attention,plain,recolour}' in out
    assert 'Measured in docs/QUALITY.md' in out
    assert '--lambda-mask' in out and '--lambda-mask-tv' in out
