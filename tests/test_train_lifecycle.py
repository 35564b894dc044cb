"""Never lose a run, part two: re-runs, bad pictures mid-run, failures inside
training, two processes on one out dir, exit codes after a signal, and the
temporary files of killed runs."""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
from PIL import Image
import pytest

from datasets.folder import FolderDataset
from tests.faceapp_tests.test_run_lock import hold_lock
from tests.faceapp_tests.test_run_lock import stale_temp
import train
from updaters import stargan as stargan_updater

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ['--preset', 'tiny', '--n-train', '20', '--n-test', '5',
        '--n-samples', '2', '--eval-interval', '0', '--seed', '3']


def _exit_message(capsys, argv):
    with pytest.raises(SystemExit) as e:
        train.main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err


def _params(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files
                if k.startswith(('updater/model:', 'updater/optimizer:'))}


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def test_same_command_again_is_refused_and_force_moves_the_run_aside(
        tmp_path, capsys):
    out = str(tmp_path / 'run')
    argv = TINY + ['--iterations', '4', '--snapshot-interval', '2',
                   '--out', out]
    assert train.main(argv) == 0
    before = {n: _read(os.path.join(out, n)) for n in os.listdir(out)
              if n.startswith('snapshot_iter_')}
    assert set(before) == {'snapshot_iter_2', 'snapshot_iter_4'}
    capsys.readouterr()
    err = _exit_message(capsys, argv)
    assert '--resume auto' in err and '--force' in err
    assert 'snapshot_iter_4' in err
    assert {n: _read(os.path.join(out, n)) for n in before} == before
    assert train.main(argv + ['--force']) == 0
    assert '--force: moved' in capsys.readouterr().out
    previous = glob.glob(os.path.join(out, 'previous-*'))
    assert len(previous) == 1
    assert {n: _read(os.path.join(previous[0], n)) for n in before} == before
    assert os.path.exists(os.path.join(previous[0], 'args.json'))
    assert os.path.exists(os.path.join(out, 'snapshot_iter_4'))  # new run


def test_force_moves_aside_a_run_stopped_before_its_first_snapshot(
        tmp_path):
    out = tmp_path / 'run'
    out.mkdir()
    (out / 'args.json').write_text('{"lambda_rec": 5}')
    (out / 'log').write_text('[]')
    assert train.main(TINY + ['--iterations', '1', '--force',
                              '--out', str(out)]) == 0
    previous, = glob.glob(str(out / 'previous-*'))
    assert sorted(os.listdir(previous)) == ['args.json', 'log']
    assert json.load(open(os.path.join(previous, 'args.json'))) == {
        'lambda_rec': 5}


def _png_tree(root, n=6):
    rng = np.random.RandomState(0)
    for domain in ('calm', 'happy'):
        (root / domain).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.randint(0, 256, (20, 20, 3)).astype(
                np.uint8)).save(str(root / domain / '{}.png'.format(i)))
    return root


def _a_training_picture(root):
    """A picture of the training split (read during training, not before).
    """
    return FolderDataset(str(root), 16, 'train', test_fraction=0.1,
                         seed=3).files[-1]


def test_a_picture_that_fails_mid_run_is_skipped_and_counted(tmp_path):
    data = _png_tree(tmp_path / 'data')
    bad = _a_training_picture(data)
    with open(bad, 'r+b') as f:
        f.truncate(60)  # a valid header, cut data
    out = str(tmp_path / 'run')
    # 10 training pictures at batch 4: every one is read within 3 steps.
    with pytest.warns(UserWarning, match=os.path.basename(bad)):
        assert train.main(TINY + ['--dataset', str(data), '--iterations', '6',
                                  '--log-interval', '6', '--test-fraction',
                                  '0.1', '--out', out]) == 0
    log = json.load(open(os.path.join(out, 'log')))
    assert log[-1]['data/skipped'] == 1
    assert os.path.exists(os.path.join(out, 'snapshot_iter_6'))


def test_an_empty_picture_is_refused_before_training(tmp_path, capsys):
    data = _png_tree(tmp_path / 'data')
    empty = _a_training_picture(data)
    open(empty, 'wb').close()
    err = _exit_message(capsys, TINY + ['--dataset', str(data),
                                        '--iterations', '6', '--out',
                                        str(tmp_path / 'run')])
    last = err.strip().splitlines()[-1]
    assert empty in last and '--skip-bad' in last


def _fail_once_at(monkeypatch, method, iteration):
    original = getattr(stargan_updater.StarGANUpdater, method)

    def failing(self, *args):
        if self.iteration == iteration:
            raise RuntimeError('injected failure')
        return original(self, *args)

    monkeypatch.setattr(stargan_updater.StarGANUpdater, method, failing)


def test_a_failure_in_training_leaves_the_last_completed_iteration(
        tmp_path, monkeypatch, capsys):
    argv = TINY + ['--iterations', '8', '--snapshot-interval', '8']
    reference = str(tmp_path / 'reference')
    assert train.main(argv + ['--out', reference]) == 0
    out = str(tmp_path / 'failed')
    with monkeypatch.context() as m:
        _fail_once_at(m, 'update_core', 3)
        assert train.main(argv + ['--out', out]) == 1
    err = capsys.readouterr().err
    assert 'injected failure' in err and 'snapshot_iter_3' in err
    assert 'Traceback' not in err
    assert 'injected failure' in _read(os.path.join(out, 'error.txt')).decode()
    assert train.main(argv + ['--out', out, '--resume', 'auto']) == 0
    a = _params(os.path.join(reference, 'snapshot_iter_8'))
    b = _params(os.path.join(out, 'snapshot_iter_8'))
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)


def test_a_failure_after_weights_changed_writes_no_half_iteration(
        tmp_path, monkeypatch, capsys):
    out = str(tmp_path / 'failed')
    # n_critic 5: the generator steps in iteration 5, after the critic did.
    _fail_once_at(monkeypatch, 'update_gen', 4)
    assert train.main(TINY + ['--iterations', '8', '--snapshot-interval', '2',
                              '--out', out]) == 1
    err = capsys.readouterr().err
    assert 'No snapshot of iteration 4' in err
    assert 'snapshot_iter_4 (iteration 4)' in err  # what does exist
    assert not os.path.exists(os.path.join(out, 'snapshot_iter_5'))


def _poison_after(monkeypatch, n_calls):
    calls = {'n': 0}
    wgan = stargan_updater.losses.wgan_dis_loss

    def poisoned(real, fake):
        calls['n'] += 1
        loss = wgan(real, fake)
        return loss * np.float32('nan') if calls['n'] > n_calls else loss

    monkeypatch.setitem(stargan_updater.losses.ADVERSARIAL, 'wgan-gp',
                        (poisoned, stargan_updater.losses.wgan_gen_loss))


@pytest.mark.parametrize('n_calls, says', [
    (5, 'The newest snapshot is {} (iteration 4)'),
    (0, 'No snapshot was written yet'),
])
def test_a_nan_stop_says_which_snapshot_exists(tmp_path, monkeypatch, capsys,
                                               n_calls, says):
    out = str(tmp_path / 'nan')
    _poison_after(monkeypatch, n_calls)
    assert train.main(TINY + ['--iterations', '8', '--snapshot-interval', '4',
                              '--out', out]) == 1
    err = capsys.readouterr().err
    assert says.format(os.path.join(out, 'snapshot_iter_4')) in err
    assert 'last good snapshot was kept' not in err


def test_a_second_process_on_the_same_out_is_refused_naming_the_first(
        tmp_path, capsys):
    out = str(tmp_path / 'run')
    holder = hold_lock(out)
    try:
        err = _exit_message(capsys, TINY + ['--iterations', '1', '--out',
                                            out])
        assert 'pid {}'.format(holder.pid) in err
        assert not os.path.exists(os.path.join(out, 'args.json'))
    finally:
        holder.kill()
        holder.wait()
    # The kernel dropped the dead holder's lock.
    assert train.main(TINY + ['--iterations', '1', '--out', out]) == 0


@pytest.mark.parametrize('sig, code', [(signal.SIGINT, 130),
                                       (signal.SIGTERM, 143)])
def test_a_signal_stop_exits_non_zero(tmp_path, sig, code):
    out = str(tmp_path / 'run')
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, 'train.py')] + TINY
        + ['--iterations', '100000', '--log-interval', '2', '--out', out],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    start = time.time()
    while not os.path.exists(os.path.join(out, 'log')):
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() - start < 120
        time.sleep(0.05)
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == code, output
    assert 'Stopped by {}'.format(sig.name) in output
    assert glob.glob(os.path.join(out, 'snapshot_iter_*'))


def test_temporary_files_of_a_killed_run_are_removed_at_the_next_start(
        tmp_path):
    out = tmp_path / 'run'
    out.mkdir()
    stale = stale_temp(str(out))
    others = [out / '.notes.tmp', out / 'mine.tmp']  # not our pattern
    for path in others:
        path.write_text('keep')
    assert train.main(TINY + ['--iterations', '1', '--out', str(out)]) == 0
    assert not os.path.exists(stale)
    assert all(path.exists() for path in others)


def test_scripts_remove_old_temporary_files_of_killed_runs(tmp_path):
    import translate
    run = str(tmp_path / 'run')
    assert train.main(TINY + ['--iterations', '1', '--out', run]) == 0
    out = tmp_path / 'translated'
    out.mkdir()
    old = stale_temp(str(out), age_s=3600)
    young = stale_temp(str(out))  # perhaps another script's live write
    face = str(tmp_path / 'face.png')
    Image.new('RGB', (32, 32), (128, 100, 90)).save(face)
    assert translate.main([face, '--model', os.path.join(run, 'generator.npz'),
                           '--no-detect', '--quiet', '--target', 'smile',
                           '--out', str(out)]) == 0
    assert not os.path.exists(old) and os.path.exists(young)
