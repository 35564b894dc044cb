"""Never lose a run: graceful stop, divergence guard, snapshot discovery and
out-dir checks."""
import functools
import json
import math
import os
import re
import signal
import zipfile
import zlib

import chainer
from chainer import backend
from chainer import training

#: Trainer snapshots are ``snapshot_iter_<iteration>`` in the out dir.
SNAPSHOT_PATTERN = re.compile(r'^snapshot_iter_(\d+)$')


class DivergenceError(RuntimeError):
    """A reported loss became NaN or infinite."""


class GracefulStop(object):
    """A stop trigger that also fires after SIGINT or SIGTERM.

    The signal handler only sets a flag, so the iteration in progress and
    its extensions finish normally; the trainer then leaves its loop.

    Args:
        trigger: The run's own stop trigger (e.g. ``(N, 'iteration')``).
        signals (tuple): Signals to catch.
        agree (callable or None): ``flag -> bool`` run every iteration in
            data-parallel training: True when any process got a signal, so
            that all stop at the same iteration.

    Attributes:
        received (str or None): The signal this process got.
        stopped (bool): Training stops (or stopped) because of a signal.
    """

    def __init__(self, trigger, signals=(signal.SIGINT, signal.SIGTERM),
                 agree=None):
        self.trigger = training.trigger.get_trigger(trigger)
        self.signals = signals
        self.agree = agree
        self.received = None
        self.stopped = False
        self._previous = {}

    def install(self):
        """Starts catching the signals (call in the main thread)."""
        for s in self.signals:
            self._previous[s] = signal.signal(s, self._handle)

    def uninstall(self):
        """Restores the previous signal handlers."""
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        self._previous = {}

    def _handle(self, signum, frame):
        self.received = signal.Signals(signum).name

    def __call__(self, trainer):
        signalled = self.received is not None
        if self.agree is not None:
            signalled = self.agree(signalled)
        self.stopped = self.stopped or signalled
        # Always ask the trigger: it counts calls on some triggers.
        return self.trigger(trainer) or signalled

    def get_training_length(self):
        return self.trigger.get_training_length()


class DivergenceGuard(training.Extension):
    """Stops training when a reported loss is NaN or infinite.

    It runs every iteration before any writer (snapshots included), so a
    poisoned model is never written over the last good snapshot. Every
    iteration it only gathers the checked values where they are (one small
    array on the device); it looks at them on the host every
    ``check_interval`` iterations, at ``last`` and when training ends
    (:meth:`finalize`; :func:`raise_late_divergence` then raises what it
    found): one wait for the GPU per check instead of one per value and
    iteration. Give it an interval that divides every writer's
    (:func:`check_interval`), so each check comes before any write.

    Args:
        prefixes (tuple of str): Observation keys checked (by prefix).
        check_interval (int): Iterations between checks (1: every one).
        last (int or None): An iteration always checked (the final one).
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER + 100

    def __init__(self, prefixes=('gen/', 'dis/'), check_interval=1,
                 last=None):
        if check_interval < 1:
            raise ValueError('check_interval must be >= 1, got {}'.format(
                check_interval))
        self.prefixes = prefixes
        self.check_interval, self.last = int(check_interval), last
        self._pending = []  # (iteration, keys, values on their device)
        self._failed = False
        #: The DivergenceError :meth:`finalize` found, or None.
        self.error = None

    def __call__(self, trainer):
        iteration = trainer.updater.iteration
        keys = sorted(k for k in trainer.observation
                      if k.startswith(self.prefixes))
        if keys:
            values = [chainer.as_array(trainer.observation[k]) for k in keys]
            xp = backend.get_array_module(*values)
            self._pending.append((iteration, keys, xp.stack(
                [xp.asanyarray(v).ravel()[0] for v in values])))
        if iteration % self.check_interval == 0 or iteration == self.last:
            self.check()

    def check(self):
        """Raises :class:`DivergenceError` if a value gathered since the
        last check is not finite; one host sync when all are."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        xp = backend.get_array_module(pending[0][2])
        if not bool(xp.isfinite(xp.concatenate(
                [row for _, _, row in pending])).all()):
            self._raise_first(pending)

    def _raise_first(self, pending):
        for iteration, keys, row in pending:
            for key, value in zip(keys, chainer.backend.CpuDevice().send(
                    row).tolist()):
                if not math.isfinite(value):
                    raise DivergenceError(
                        '{} became {} at iteration {}; training stopped '
                        'before writing anything of that iteration. Try lower '
                        'learning rates (--g-lr/--d-lr), a larger '
                        '--lambda-gp, or resume from a snapshot with another '
                        '--seed.'.format(key, value, iteration))

    def on_error(self, trainer, exc, tb):
        self._failed = True  # that error, not a late check, is reported

    def finalize(self):
        """Checks what the last iterations gathered (training may end
        between checks, on a signal), unless training ended by an error;
        keeps the error in :attr:`error` rather than raising it, which
        would skip the other extensions' and the updater's finalize."""
        if not self._failed:
            try:
                self.check()
            except DivergenceError as e:
                self.error = e


def raise_late_divergence(trainer):
    """After ``trainer.run()``: raises the :class:`DivergenceError` its
    :class:`DivergenceGuard` found as training ended, before anything is
    written from the final state."""
    guard = trainer.get_extension('DivergenceGuard')
    if guard.error is not None:
        raise guard.error


def check_interval(*intervals):
    """The largest interval dividing every given (positive) one: a
    :class:`DivergenceGuard` checking that often checks before every write
    of writers triggered every ``intervals[i]`` iterations."""
    return functools.reduce(math.gcd, [int(i) for i in intervals if i], 0) \
        or 1


def snapshot_problem(path):
    """Why ``path`` is not a complete npz archive, or None when it is.

    Args:
        path (str): A snapshot or other npz file.

    Returns:
        str or None: E.g. ``'not a complete zip archive (a torn or
        interrupted write?)'``; None for a readable archive whose members
        all pass their checksums.
    """
    try:
        with zipfile.ZipFile(path) as z:
            if not z.namelist():
                return 'an empty archive'
            bad = z.testzip()
    except zipfile.BadZipFile:
        return 'not a complete zip archive (a torn or interrupted write?)'
    except OSError as e:
        return 'unreadable ({})'.format(e.strerror or e)
    except (EOFError, zlib.error, ValueError) as e:  # damaged compression
        return 'damaged ({})'.format(e)
    if bad is not None:
        return 'damaged: member {} fails its checksum'.format(bad)
    return None


def is_complete_snapshot(path):
    """True when ``path`` is a readable npz archive (not a torn write)."""
    return snapshot_problem(path) is None


def snapshot_iteration(path):
    """The iteration N of a ``snapshot_iter_N`` path, or None."""
    m = SNAPSHOT_PATTERN.match(os.path.basename(path))
    return int(m.group(1)) if m else None


def newest_snapshot(out_dir):
    """The newest complete ``snapshot_iter_N`` and the newer ones skipped.

    Args:
        out_dir (str): A run's out dir.

    Returns:
        tuple: ``(path or None, skipped)``; ``skipped`` lists ``(name,
        reason)`` for each newer snapshot file that is not complete.
    """
    if not os.path.isdir(out_dir):
        return None, []
    found = sorted(((int(m.group(1)), name) for name in os.listdir(out_dir)
                    for m in [SNAPSHOT_PATTERN.match(name)] if m),
                   reverse=True)
    skipped = []
    for _, name in found:
        path = os.path.join(out_dir, name)
        problem = snapshot_problem(path)
        if problem is None:
            return path, skipped
        skipped.append((name, problem))
    return None, skipped


def latest_snapshot(out_dir):
    """The newest complete ``snapshot_iter_N`` in ``out_dir``, or None."""
    return newest_snapshot(out_dir)[0]


def skipped_lines(skipped, where):
    """One line per skipped file: ``skipped WHERE/NAME: REASON``."""
    return ['skipped {}: {}'.format(os.path.join(where, name), reason)
            for name, reason in skipped]


#: Options that may differ between a run and its continuation.
RUN_INDEPENDENT = {'resume', 'force', 'out', 'gpu', 'log_interval',
                   'sample_interval', 'snapshot_interval', 'eval_interval',
                   'n_samples', 'n_eval', 'cache_dir', 'iterations',
                   'decay_start', 'deterministic'}


def conflicting_options(out_dir, opts):
    """Options of the run already in ``out_dir`` that differ from ``opts``.

    Args:
        out_dir (str): An out dir (may hold ``args.json``).
        opts (dict): The new run's resolved options.

    Returns:
        list of str: ``'name: old -> new'`` for each differing option that
        shapes training (empty when there is no earlier run).
    """
    path = os.path.join(out_dir, 'args.json')
    if not os.path.exists(path):
        return []
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return ['args.json: unreadable']
    return ['{}: {!r} -> {!r}'.format(k, old.get(k), opts.get(k))
            for k in sorted(set(old) | set(opts))
            if k not in RUN_INDEPENDENT and old.get(k) != opts.get(k)]


def check_writable(out_dir):
    """Raises OSError with a plain message if ``out_dir`` cannot be written.
    """
    os.makedirs(out_dir, exist_ok=True)
    probe = os.path.join(out_dir, '.write_test')
    with open(probe, 'w') as f:
        f.write('ok')
    os.remove(probe)
