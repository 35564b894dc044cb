"""The out dir's lock, stale temporary files and moving a run aside."""
import datetime
import os
import subprocess
import sys
import tempfile
import time

import pytest

from datasets import atomic
from faceapp import run_lock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def hold_lock(out):
    """A child process holding ``out``'s lock until it is killed."""
    code = ('import sys, time; from faceapp import run_lock; '
            'run_lock.OutDirLock(sys.argv[1]).acquire(); '
            'print("held", flush=True); time.sleep(120)')
    proc = subprocess.Popen([sys.executable, '-c', code, out], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'held'
    return proc


def stale_temp(directory, age_s=0):
    """A temporary file as atomic_open names them, ``age_s`` old."""
    fd, path = tempfile.mkstemp(dir=directory, prefix='.', suffix='.tmp')
    os.close(fd)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_a_held_lock_names_its_holder_and_protects_temporary_files(
        tmp_path):
    out = str(tmp_path / 'run')
    holder = hold_lock(out)
    try:
        stale = stale_temp(out, age_s=3600)
        with pytest.raises(run_lock.BusyError, match=str(holder.pid)):
            run_lock.take(out)
        assert run_lock.tidy(out) == []
        assert os.path.exists(stale)
    finally:
        holder.kill()
        holder.wait()
    run_lock.take(out).release()  # the kernel dropped the dead one's lock
    assert not os.path.exists(stale)


def test_only_this_projects_temporary_files_are_removed(tmp_path):
    with atomic.atomic_open(str(tmp_path / 'kept.json'), 'w') as f:
        f.write('{}')
    ours = stale_temp(str(tmp_path))
    others = ['.notes.tmp', 'a.tmp', '.abcdefgh.tmp.bak', '.ABCDEFGH.tmp']
    for name in others:
        (tmp_path / name).write_text('keep')
    assert atomic.remove_stale(str(tmp_path)) == [os.path.basename(ours)]
    assert sorted(os.listdir(str(tmp_path))) == sorted(others + ['kept.json'])


def test_a_killed_reports_staging_folder_is_removed(tmp_path):
    staged = tempfile.mkdtemp(dir=str(tmp_path), prefix='.staged-',
                              suffix='.tmp')  # as atomic.staged_dir names it
    with open(os.path.join(staged, 'report.md'), 'w') as f:
        f.write('half')
    (tmp_path / '.staged-notes').mkdir()  # not ours
    assert atomic.remove_stale(str(tmp_path)) == [os.path.basename(staged)]
    assert os.listdir(str(tmp_path)) == ['.staged-notes']


def test_tidy_leaves_files_that_may_be_a_live_write(tmp_path):
    old = stale_temp(str(tmp_path), age_s=run_lock.LIVE_WRITE_S + 5)
    young = stale_temp(str(tmp_path))
    assert run_lock.tidy(str(tmp_path)) == [os.path.basename(old)]
    assert os.path.exists(young)
    assert not os.path.exists(str(tmp_path / run_lock.LOCK_NAME))  # no trace


def test_move_aside_keeps_earlier_runs_and_the_lock(tmp_path):
    for name in ('log', 'snapshot_iter_2', 'previous-20200101T000000Z'):
        (tmp_path / name).write_text(name)
    lock = run_lock.take(str(tmp_path))
    now = datetime.datetime(2026, 1, 2, 3, 4, 5)
    first = run_lock.move_aside(str(tmp_path), now)
    assert os.path.basename(first) == 'previous-20260102T030405Z'
    assert sorted(os.listdir(first)) == ['log', 'snapshot_iter_2']
    assert run_lock.move_aside(str(tmp_path), now) is None  # nothing left
    lock.release()
    assert sorted(os.listdir(str(tmp_path))) == [
        '.lock', 'previous-20200101T000000Z', 'previous-20260102T030405Z']


def test_killed_chainer_writers_leave_nothing_at_the_next_start(tmp_path):
    def folder(name, *files):
        (tmp_path / name).mkdir()
        for f in files:
            (tmp_path / name / f).write_bytes(b'partial')

    folder('tmpsnapshot_iter_12a648ex4n', 'snapshot_iter_12')
    folder('tmpsnapshot_iter_937ti90hi')
    folder('logk2j4_9ab', 'log.json')
    kept = [('tmpsnapshot_iter_5abcdefgh', 'notes.txt'),  # not the writer's
            ('logbook', 'log.json'), ('logs', 'log.json')]
    for name, f in kept:
        folder(name, f)
    run_lock.take(str(tmp_path)).release()
    assert sorted(os.listdir(str(tmp_path))) == sorted(
        ['.lock'] + [name for name, _ in kept])
