"""Never lose a run: bitwise resume after SIGKILL or SIGINT, divergence
guard, out-dir checks."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from faceapp import run_files
from faceapp import run_lock
from faceapp import snapshots
import train
from updaters import stargan as stargan_updater

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ['--preset', 'tiny', '--n-train', '40', '--n-test', '10',
        '--n-samples', '2', '--iterations', '40', '--snapshot-interval', '10',
        '--sample-interval', '40', '--log-interval', '10',
        '--eval-interval', '0', '--seed', '3']


def _params(path):
    """Every model, optimizer and weight-average array of a trainer
    snapshot."""
    with np.load(path) as f:
        return {k: f[k] for k in f.files
                if k.startswith(('updater/model:', 'updater/optimizer:',
                                 'updater/ema/'))}


def _assert_bitwise_equal(a, b, average=True):
    pa, pb = _params(a), _params(b)
    assert set(pa) == set(pb) and len(pa) > 20
    # StarGAN's average of G (on by default) is part of what must resume
    # exactly; CycleGAN keeps none.
    assert average == ('updater/ema/updates' in pa)
    assert average == any(k.startswith('updater/ema/average/') for k in pa)
    for k in pa:
        assert np.array_equal(pa[k], pb[k]), k


def _start(out, extra=(), args=ARGS):
    return subprocess.Popen(
        [sys.executable, os.path.join(ROOT, 'train.py')] + list(args)
        + ['--out', out] + list(extra), cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def _kill_then_resume(out, args, extra=(), at=10):
    """SIGKILLs a run of ``args`` once its snapshot ``at`` exists, then
    resumes it with ``--resume auto``; returns its final snapshot."""
    proc = _start(out, extra, args)
    _wait_for(os.path.join(out, 'snapshot_iter_{}'.format(at)), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not os.path.exists(os.path.join(out, 'snapshot_iter_40'))
    assert train.main(list(args) + ['--out', out, '--resume', 'auto']
                      + list(extra)) == 0
    return os.path.join(out, 'snapshot_iter_40')


def _wait_for(path, proc, timeout=120):
    start = time.time()
    while not os.path.exists(path):
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() - start < timeout
        time.sleep(0.02)


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('reference'))
    assert train.main(ARGS + ['--out', out]) == 0
    return os.path.join(out, 'snapshot_iter_40')


def test_sigkill_then_resume_auto_is_bitwise_identical(reference, tmp_path):
    out = str(tmp_path / 'killed')
    proc = _start(out)
    _wait_for(os.path.join(out, 'snapshot_iter_10'), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not os.path.exists(os.path.join(out, 'snapshot_iter_40'))
    newest = run_files.latest_snapshot(out)
    assert newest is not None and not newest.endswith('_40')
    assert train.main(ARGS + ['--out', out, '--resume', 'auto']) == 0
    _assert_bitwise_equal(reference, os.path.join(out, 'snapshot_iter_40'))


def _eval_entries(run_dir):
    """The eval/* values of every log entry of a run."""
    with open(os.path.join(run_dir, 'log')) as f:
        return [{k: v for k, v in entry.items() if k.startswith('eval/')}
                for entry in json.load(f)]


def test_sigkill_with_evaluation_on_resumes_bitwise(tmp_path):
    # Evaluation as by default (every snapshot, judge trained on the first
    # one and cached), only smaller; each run has its own cache, so the
    # resumed one finds the judge its killed part trained.
    args = [a for a in ARGS if a not in ('--eval-interval', '0')] + [
        '--n-eval', '10', '--classifier-iterations', '20']
    ref = str(tmp_path / 'reference')
    assert train.main(args + ['--out', ref, '--cache-dir',
                              str(tmp_path / 'cache_ref')]) == 0
    out = str(tmp_path / 'killed')
    resumed = _kill_then_resume(out, args, ['--cache-dir',
                                            str(tmp_path / 'cache')], at=20)
    _assert_bitwise_equal(os.path.join(ref, 'snapshot_iter_40'), resumed)
    want = _eval_entries(ref)
    assert len(want) == 4 and all(want) and _eval_entries(out) == want


def test_cyclegan_sigkill_then_resume_is_bitwise(tmp_path):
    # The variants with their own random streams and state: label noise,
    # the embedding discriminator, image pools small enough to fill.
    args = ['--model', 'cyclegan', '--domains', 'smile', 'sad',
            '--gan-loss', 'vanilla', '--label-noise', '0.1',
            '--embedding-dis', '--pool-size', '4'] + [
        a for a in ARGS if a not in ('--eval-interval', '0')]
    ref = str(tmp_path / 'reference')
    assert train.main(args + ['--out', ref]) == 0
    resumed = _kill_then_resume(str(tmp_path / 'killed'), args)
    _assert_bitwise_equal(os.path.join(ref, 'snapshot_iter_40'), resumed,
                          average=False)


def test_sigint_stops_gracefully_and_resumes_bitwise(reference, tmp_path):
    out = str(tmp_path / 'stopped')
    proc = _start(out)
    _wait_for(os.path.join(out, 'snapshot_iter_10'), proc)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output  # stopped early: not a success
    assert 'Stopped by SIGINT' in output and '--resume auto' in output
    stopped_at = run_files.latest_snapshot(out)
    assert stopped_at is not None
    assert train.main(ARGS + ['--out', out, '--resume', 'auto']) == 0
    _assert_bitwise_equal(reference, os.path.join(out, 'snapshot_iter_40'))


def _whole_then_stopped_and_resumed(tmp_path, extra):
    """Trains 20 iterations with ``extra`` in one go, and in two parts of
    10 (the second a ``--resume auto``); checks both end bitwise equal and
    returns the whole run's final snapshot."""
    extra = list(extra) + ['--iterations', '20',
                           '--decay-start', '10']  # as the whole run's
    whole, part = str(tmp_path / 'whole'), str(tmp_path / 'part')
    assert train.main(ARGS + extra + ['--out', whole]) == 0
    assert train.main(ARGS + extra + ['--out', part, '--iterations',
                                      '10']) == 0
    assert train.main(ARGS + extra + ['--out', part, '--resume',
                                      'auto']) == 0
    final = os.path.join(whole, 'snapshot_iter_20')
    _assert_bitwise_equal(final, os.path.join(part, 'snapshot_iter_20'))
    return final


def test_resume_with_augmentation_is_bitwise_identical(tmp_path):
    # Augmentation draws from the updater's saved stream, so a resumed run
    # draws what the uninterrupted one drew.
    _whole_then_stopped_and_resumed(
        tmp_path, ['--augment', 'color,translation,cutout'])


def test_resume_with_the_r1_objective_is_bitwise_identical(tmp_path):
    final = _whole_then_stopped_and_resumed(tmp_path, ['--adversarial', 'r1'])
    with open(os.path.join(os.path.dirname(final), 'args.json')) as f:
        assert json.load(f)['adversarial'] == 'r1'


@pytest.mark.parametrize('flags, maps, inputs', [
    (['--dis-head', 'auto'], 5, 32),  # a map per expression
    (['--dis-head', 'per-domain', '--dis-minibatch-std'], 5, 33),
    (['--dis-head', 'shared', '--dis-minibatch-std'], 1, 33)])
def test_resume_with_the_critic_options_is_bitwise_identical(
        tmp_path, flags, maps, inputs):
    final = _whole_then_stopped_and_resumed(tmp_path, flags)
    shape = snapshots.array_shape(final, 'updater/model:dis/src/W')
    assert shape[:2] == (maps, inputs)


@pytest.mark.parametrize('kind, heads', [('attention', ('a_out/',)),
                                         ('recolour', ('a_out/', 't_out/'))])
def test_resume_with_a_masked_generator_is_bitwise_identical(tmp_path, kind,
                                                             heads):
    final = _whole_then_stopped_and_resumed(tmp_path, ['--generator', kind])
    # The heads are part of the model, its optimizer and its average.
    keys = _params(final)
    for prefix in ('updater/model:gen/', 'updater/ema/average/',
                   'updater/optimizer:gen/'):
        for head in heads:
            assert any(k.startswith(prefix + head) for k in keys), prefix


def test_divergence_stops_and_keeps_the_last_good_snapshot(
        tmp_path, monkeypatch, capsys):
    calls = {'n': 0}
    wgan = stargan_updater.losses.wgan_dis_loss

    def poisoned(real, fake):
        calls['n'] += 1
        loss = wgan(real, fake)
        return loss * np.float32('nan') if calls['n'] > 12 else loss

    monkeypatch.setitem(stargan_updater.losses.ADVERSARIAL, 'wgan-gp',
                        (poisoned, stargan_updater.losses.wgan_gen_loss))
    out = str(tmp_path / 'nan')
    assert train.main(ARGS + ['--out', out]) == 1
    assert 'dis/loss' in capsys.readouterr().err
    assert run_files.latest_snapshot(out).endswith('snapshot_iter_10')
    params = _params(os.path.join(out, 'snapshot_iter_10'))
    assert all(np.isfinite(v).all() for v in params.values()
               if v.dtype.kind == 'f')


def test_out_dir_with_other_options_is_refused(tmp_path, capsys):
    out = str(tmp_path / 'run')
    small = ['--preset', 'tiny', '--n-train', '20', '--n-test', '5',
             '--iterations', '1', '--eval-interval', '0', '--out', out]
    assert train.main(small) == 0
    with pytest.raises(SystemExit):
        train.main(small + ['--lambda-rec', '5'])
    err = capsys.readouterr().err
    assert 'lambda_rec' in err and '--force' in err
    assert train.main(small + ['--lambda-rec', '5', '--force']) == 0
    moved, = [n for n in os.listdir(out) if n.startswith('previous-')]
    assert 'snapshot_iter_1' in os.listdir(os.path.join(out, moved))


def test_resume_auto_without_snapshots_says_so(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train.main(ARGS + ['--out', str(tmp_path), '--resume', 'auto'])
    assert 'no complete snapshot' in capsys.readouterr().err


def test_unwritable_out_dir_is_named(tmp_path, capsys):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    with pytest.raises(SystemExit):
        train.main(ARGS + ['--out', str(blocker / 'sub')])
    assert 'cannot write' in capsys.readouterr().err


def test_torn_snapshots_are_not_picked(tmp_path):
    (tmp_path / 'snapshot_iter_20').write_bytes(b'PK\x03\x04 torn')
    good = tmp_path / 'snapshot_iter_10'
    np.savez(str(good), a=np.zeros(2))
    os.rename(str(good) + '.npz', str(good))
    assert run_files.latest_snapshot(str(tmp_path)) == str(good)


def test_out_of_memory_gets_advice(tmp_path, monkeypatch, capsys):
    def exhausted(self):
        raise MemoryError()

    monkeypatch.setattr(stargan_updater.StarGANUpdater, 'update_core',
                        exhausted)
    assert train.main(ARGS + ['--out', str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert 'out of memory' in err and '--batch-size' in err


def test_damaged_snapshots_are_skipped_with_their_reason(tmp_path):
    good = tmp_path / 'snapshot_iter_10'
    np.savez(str(good), a=np.zeros(64))
    os.rename(str(good) + '.npz', str(good))
    (tmp_path / 'snapshot_iter_30').write_bytes(b'PK\x03\x04 torn')
    data = bytearray(good.read_bytes())
    data[data.index(b'NUMPY') + 100] ^= 0xff  # inside the stored array
    (tmp_path / 'snapshot_iter_20').write_bytes(bytes(data))
    path, skipped = run_files.newest_snapshot(str(tmp_path))
    assert path == str(good)
    assert skipped == [
        ('snapshot_iter_30', 'not a complete zip archive (a torn or '
         'interrupted write?)'),
        ('snapshot_iter_20', 'damaged: member a.npy fails its checksum')]


def test_resume_auto_names_what_it_loads_and_stops_on_a_finished_run(
        tmp_path, capsys):
    out = str(tmp_path / 'run')
    argv = ARGS[:8] + ['--iterations', '2', '--snapshot-interval', '1',
                        '--sample-interval', '2', '--log-interval', '1',
                        '--eval-interval', '0', '--out', out]
    assert train.main(argv) == 0
    capsys.readouterr()
    def written():  # the lock file, rewritten by every start, aside
        return {f: os.stat(os.path.join(out, f)).st_mtime_ns
                for f in os.listdir(out) if f != run_lock.LOCK_NAME}
    before = written()
    assert train.main(argv + ['--resume', 'auto']) == 0
    said = capsys.readouterr().out
    assert '{} is already complete: it reached iteration 2 of 2; nothing ' \
        'to train. Pass a larger --iterations'.format(out) in said
    assert written() == before  # nothing rewritten
    newest = os.path.join(out, 'snapshot_iter_2')
    with open(newest, 'r+b') as f:
        f.truncate(100)
    assert train.main(argv + ['--resume', 'auto', '--iterations', '3']) == 0
    said = capsys.readouterr()
    assert '--resume auto: skipped {}: not a complete zip archive'.format(
        newest) in said.err
    assert '--resume auto: continuing from {}'.format(
        os.path.join(out, 'snapshot_iter_1')) in said.out
    assert run_files.latest_snapshot(out).endswith('snapshot_iter_3')
