"""Every loader of a user-given file refuses a poisoned (pickle-carrying)
npz without running its payload, with one clear message naming the file."""
import os
import shutil

import numpy as np
import pytest

import chainer
import chainer.links as L

import evaluate
from faceapp import export
from faceapp import snapshots
from stargan.models import classifier
import train
import translate


class _Payload(object):
    """Unpickling it creates ``marker``: proof that the payload ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def _poison(source, dest, marker):
    """Copies the npz ``source`` to ``dest`` with each array replaced by an
    object array carrying the payload (its keys, so that every check of
    names passes), and proves that unpickling ``dest`` runs the payload."""
    with np.load(source, allow_pickle=False) as npz:
        keys = list(npz.files)
    payload = np.array([_Payload(marker)], dtype=object)
    with open(dest, 'wb') as f:
        np.savez(f, **{key: payload for key in keys})
    # Proof that the file is armed: loading it the unsafe way runs it.
    with np.load(dest, allow_pickle=True) as npz:
        npz[keys[0]]
    assert os.path.exists(marker)
    os.remove(marker)
    return dest


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('run'))
    assert train.main(['--preset', 'tiny', '--n-train', '20', '--n-test', '6',
                       '--iterations', '2', '--eval-interval', '0',
                       '--out', out]) == 0
    return out



@pytest.fixture
def marker(tmp_path):
    path = str(tmp_path / 'PAYLOAD_RAN')
    yield path
    assert not os.path.exists(path), 'the pickled payload was executed'


def _poisoned_run(run_dir, tmp_path, marker):
    """A copy of the run whose snapshot and export are poisoned."""
    poisoned = str(tmp_path / 'poisoned_run')
    shutil.copytree(run_dir, poisoned)
    for name in ('snapshot_iter_2', export.EXPORT_NAME):
        path = os.path.join(poisoned, name)
        _poison(path, path, marker)
    return poisoned


def _refused(main, argv, capsys, *names):
    """``main(argv)`` stops with exit code 2 and one error line naming the
    poisoned file (and flag), without a traceback."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert 'Traceback' not in err
    errors = [line for line in err.splitlines() if 'error:' in line]
    assert len(errors) == 1, err
    for word in names + ('object arrays',):
        assert word in errors[0], err


def _picture(tmp_path):
    from PIL import Image
    path = str(tmp_path / 'face.png')
    Image.new('RGB', (32, 32), (200, 150, 120)).save(path)
    return path


@pytest.mark.parametrize('run', ['run_dir', 'cyclegan_run'])
@pytest.mark.parametrize('target', ['export', 'snapshot', 'run dir'])
def test_translate_model(request, tmp_path, marker, capsys, target, run):
    poisoned = _poisoned_run(request.getfixturevalue(run), tmp_path, marker)
    model, name = {
        'export': (os.path.join(poisoned, export.EXPORT_NAME),
                   export.EXPORT_NAME),
        'snapshot': (os.path.join(poisoned, 'snapshot_iter_2'),
                     'snapshot_iter_2'),
        'run dir': (poisoned, export.EXPORT_NAME)}[target]
    _refused(translate.main, [_picture(tmp_path), '--target', 'smile',
                              '--model', model, '--quiet',
                              '--out', str(tmp_path / 'out')],
             capsys, name)
    assert not os.path.exists(str(tmp_path / 'out'))


def test_evaluate_snapshot(run_dir, tmp_path, marker, capsys):
    poisoned = _poisoned_run(run_dir, tmp_path, marker)
    _refused(evaluate.main, [os.path.join(poisoned, 'snapshot_iter_2'),
                             '--n-test', '4', '--classifier-iterations', '2',
                             '--cache-dir', str(tmp_path / 'cache'),
                             '--out', str(tmp_path / 'eval')],
             capsys, 'snapshot_iter_2')


def _poison_judge_cache(run_dir, cache, marker):
    """Fills ``cache`` with the run's judge, then poisons it."""
    argv = [os.path.join(run_dir, 'snapshot_iter_2'), '--n-test', '4',
            '--classifier-iterations', '2', '--cache-dir', cache,
            '--metrics', 'reconstruction']
    assert evaluate.main(argv + ['--out', os.path.join(cache, 'eval')]) == 0
    cached = [os.path.join(cache, f) for f in os.listdir(cache)
              if f.startswith('classifier-')]
    assert len(cached) == 1
    return _poison(cached[0], cached[0], marker), argv


def _judge_retrained(cached, capsys):
    """The poisoned judge was refused, said so naming it, and a new one
    (loadable safely) replaced it: a cache is rebuilt, not a dead end."""
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    warning = [line for line in err.splitlines() if cached in line]
    assert len(warning) == 1 and 'object arrays' in warning[0], err
    assert 'Training a new one' in warning[0], err
    snapshots.load_npz(cached, classifier.DomainClassifier(5))


def test_evaluate_judge_cache(run_dir, tmp_path, marker, capsys):
    cached, argv = _poison_judge_cache(run_dir, str(tmp_path / 'cache'),
                                       marker)
    assert evaluate.main(argv + ['--out', str(tmp_path / 'eval')]) == 0
    _judge_retrained(cached, capsys)


def test_train_judge_cache(run_dir, tmp_path, marker, capsys):
    # The judge train.py uses: same images and options, so the same key.
    cached, _ = _poison_judge_cache(run_dir, str(tmp_path / 'cache'),
                                    marker)
    assert train.main(['--preset', 'tiny', '--n-train', '20', '--n-test',
                       '6', '--iterations', '2', '--n-eval', '4',
                       '--classifier-iterations', '2', '--cache-dir',
                       str(tmp_path / 'cache'),
                       '--out', str(tmp_path / 'train')]) == 0
    _judge_retrained(cached, capsys)


def test_evaluate_inception(run_dir, tmp_path, marker, capsys):
    weights = str(tmp_path / 'googlenet.npz')
    chainer.serializers.save_npz(weights, L.GoogLeNet(pretrained_model=None))
    _poison(weights, weights, marker)
    _refused(evaluate.main, [os.path.join(run_dir, 'snapshot_iter_2'),
                             '--n-test', '4', '--classifier-iterations', '2',
                             '--cache-dir', str(tmp_path / 'cache'),
                             '--metrics', 'inception_fid', '--inception',
                             weights, '--out', str(tmp_path / 'eval')],
             capsys, 'googlenet.npz')


def test_train_perceptual_net(tmp_path, marker, capsys):
    weights = str(tmp_path / 'features.npz')
    chainer.serializers.save_npz(weights, classifier.DomainClassifier(2))
    _poison(weights, weights, marker)
    _refused(train.main, ['--model', 'cyclegan', '--domains', 'smile', 'sad',
                          '--preset', 'tiny', '--n-train', '20', '--n-test',
                          '6', '--iterations', '1', '--perceptual-net',
                          weights, '--out', str(tmp_path / 'cg')],
             capsys, 'features.npz')


@pytest.mark.parametrize('how', ['file', 'auto'])
def test_train_resume(run_dir, tmp_path, marker, capsys, how):
    poisoned = _poisoned_run(run_dir, tmp_path, marker)
    snapshot = os.path.join(poisoned, 'snapshot_iter_2')
    _refused(train.main, ['--preset', 'tiny', '--n-train', '20', '--n-test',
                          '6', '--iterations', '4', '--eval-interval', '0',
                          '--out', poisoned, '--resume',
                          snapshot if how == 'file' else 'auto'],
             capsys, 'snapshot_iter_2', '--resume')

