"""One process per out dir: a lock held for a whole run, the temporary files
of killed runs, and moving an earlier run aside.

The lock is ``fcntl.flock`` on ``OUT/.lock``: the kernel drops it when its
holder dies, even by SIGKILL, so a stale lock never blocks the next run, and
temporary files found while holding it belong to no live writer.
"""
import datetime
import fcntl
import os
import re
import shutil
import sys

from datasets import atomic
from faceapp import run_files

#: The lock file inside an out dir (kept between runs: removing it would let
#: two processes lock two different files of the same name).
LOCK_NAME = '.lock'

#: Earlier runs moved aside by ``train.py --force``: ``previous-<UTC time>``.
PREVIOUS_PREFIX = 'previous-'


class BusyError(RuntimeError):
    """Another live process holds the out dir's lock.

    Attributes:
        pid (int or None): That process, when it could be read.
    """

    def __init__(self, out_dir, pid):
        self.pid = pid
        super(BusyError, self).__init__(
            '{} is in use by another process ({}); wait for it to finish, '
            'stop it, or choose another --out'.format(
                out_dir, 'pid unknown' if pid is None else 'pid {}'.format(
                    pid)))


def _read_pid(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode('ascii', 'replace').strip()
    return int(text) if text.isdigit() else None


class OutDirLock(object):
    """An exclusive, non-blocking lock on ``out_dir/.lock``.

    The holder's pid is written into the file so that a refused process
    can name it. Use as a context manager or with :meth:`acquire` /
    :meth:`release`.

    Args:
        out_dir (str): The directory (created if missing).
    """

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.path = os.path.join(out_dir, LOCK_NAME)
        self._fd = None

    def acquire(self):
        """Takes the lock.

        Returns:
            OutDirLock: ``self``.

        Raises:
            BusyError: Another process holds it.
            OSError: The directory cannot be written.
        """
        os.makedirs(self.out_dir, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise BusyError(self.out_dir, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode('ascii'))
        self._fd = fd
        return self

    def release(self):
        """Drops the lock (closing the file releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


#: Temporary folders of chainer's snapshot and log writers
#: (``tempfile.mkdtemp(prefix='tmp' + name)``, ``prefix='log'``), each
#: with the one file that folder was made for.
WRITER_LEFTOVERS = ((re.compile(r'^tmp(snapshot_iter_\d+)[a-z0-9_]{8}$'),
                     None), (re.compile(r'^log[a-z0-9_]{8}$'), 'log.json'))


def remove_writer_leftovers(out_dir):
    """Removes the temporary folders chainer's writers leave when killed.

    Only a folder whose name matches :data:`WRITER_LEFTOVERS` and that holds
    nothing but its one expected file (or nothing) is removed. Call it while
    holding the lock.

    Args:
        out_dir (str): A train.py out dir.

    Returns:
        list of str: The names removed.
    """
    removed = []
    for name in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, name)
        for pattern, inside in WRITER_LEFTOVERS:
            match = pattern.match(name)
            if not match or not os.path.isdir(path):
                continue
            expected = {inside or match.group(1)}
            if set(os.listdir(path)) <= expected:
                shutil.rmtree(path)
                removed.append(name)
    return removed


def take(out_dir):
    """Takes ``out_dir``'s lock, then removes the temporary files that
    killed processes left there (see :func:`datasets.atomic.remove_stale`
    and :func:`remove_writer_leftovers`).

    Args:
        out_dir (str): The directory (created if missing).

    Returns:
        OutDirLock: The held lock; release it when done.

    Raises:
        BusyError: Another live process holds the lock.
        OSError: The directory cannot be written.
    """
    lock = OutDirLock(out_dir).acquire()
    try:
        atomic.remove_stale(out_dir)
        remove_writer_leftovers(out_dir)
    except BaseException:
        lock.release()
        raise
    return lock


#: Age below which :func:`tidy` leaves a temporary file: another script
#: may be writing it (scripts other than train.py do not hold the lock).
LIVE_WRITE_S = 60


def tidy(out_dir):
    """Removes the temporary files of killed processes from ``out_dir``
    when no live process holds its lock; for scripts that write there
    through :func:`datasets.atomic.atomic_open` without holding the lock
    (a missing, busy or unwritable directory is left alone).

    Args:
        out_dir (str): The directory.

    Returns:
        list of str: The names removed.
    """
    if not os.path.isdir(out_dir):
        return []
    if not os.path.exists(os.path.join(out_dir, LOCK_NAME)):
        # Never locked: no holder to wait for, and no lock file is added to
        # a directory the user may want empty (prepare.py's OUT).
        return atomic.remove_stale(out_dir, LIVE_WRITE_S)
    try:
        with OutDirLock(out_dir):
            return atomic.remove_stale(out_dir, LIVE_WRITE_S)
    except (BusyError, OSError):
        return []


def move_aside(out_dir, now=None):
    """Moves everything of an earlier run into ``out_dir/previous-<time>/``.

    Earlier ``previous-*`` folders and the lock file stay where they are.
    Call it while holding the lock.

    Args:
        out_dir (str): The out dir.
        now (datetime.datetime or None): UTC time for the name (default:
            now).

    Returns:
        str or None: The folder the run went to; None when there was
        nothing to move.
    """
    names = [n for n in sorted(os.listdir(out_dir))
             if n != LOCK_NAME and not n.startswith(PREVIOUS_PREFIX)]
    if not names:
        return None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    stamp = PREVIOUS_PREFIX + now.strftime('%Y%m%dT%H%M%SZ')
    target, k = os.path.join(out_dir, stamp), 1
    while os.path.exists(target):  # two --force runs in one second
        k += 1
        target = os.path.join(out_dir, '{}-{}'.format(stamp, k))
    os.mkdir(target)
    for name in names:
        os.rename(os.path.join(out_dir, name), os.path.join(target, name))
    return target


def check_earlier_run(opts, writer=True):
    """Resolves ``--resume auto`` in ``opts``; refuses to restart over an
    earlier run that wrote snapshots unless ``--force``, which moves any
    earlier run aside.

    Call it while holding the out dir's lock.

    Args:
        opts (dict): ``train.py``'s resolved options (``out``, ``resume``,
            ``force`` and those :func:`faceapp.run_files.conflicting_options`
            compares).
        writer (bool): The process that writes the out dir (the only one
            that checks for snapshots and moves them).

    Returns:
        str or None: Where ``--force`` moved the earlier run.

    Raises:
        ValueError: The run cannot start; the message names the flags.
    """
    out = opts['out']
    if opts['resume'] == 'auto':
        opts['resume'], skipped = run_files.newest_snapshot(out)
        for line in run_files.skipped_lines(skipped, out) if writer else ():
            print('--resume auto: ' + line, file=sys.stderr)
        if opts['resume'] is None:
            raise ValueError('--resume auto: no complete snapshot_iter_* in '
                             '{}'.format(out))
        if writer:
            print('--resume auto: continuing from {}'.format(opts['resume']))
    elif opts['resume'] and not os.path.isfile(opts['resume']):
        raise ValueError('--resume {}: no such file'.format(opts['resume']))
    conflicts = run_files.conflicting_options(out, opts)
    if conflicts and not (opts['resume'] or opts['force']):
        raise ValueError(
            '--out {} holds a run with other options ({}); pass --resume '
            'auto to continue it, --force to move it aside and start '
            'afresh, or choose another --out'.format(
                out, '; '.join(conflicts)))
    continues = opts['resume'] and os.path.isdir(out) and os.path.samefile(
        os.path.dirname(os.path.abspath(opts['resume'])), out)
    earlier = run_files.has_snapshots(out) or os.path.exists(
        run_files.options_path(out))
    if continues or not writer or not earlier:
        return None
    if not opts['force']:
        if not run_files.has_snapshots(out):
            return None  # stopped before its first snapshot: nothing lost
        raise ValueError(
            '--out {} holds snapshots of an earlier run; {}. Pass --resume '
            'auto to continue it, --force to move it aside into {}<time>/ '
            'and start afresh, or choose another --out'.format(
                out, run_files.describe_newest(out),
                os.path.join(out, PREVIOUS_PREFIX)))
    return move_aside(out)
