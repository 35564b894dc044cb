"""Never lose a run: graceful stop, divergence guard, snapshot discovery and
out-dir checks."""
import json
import math
import os
import re
import signal
import zipfile

import chainer
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
    poisoned model is never written over the last good snapshot.

    Args:
        prefixes (tuple of str): Observation keys checked (by prefix).
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER + 100

    def __init__(self, prefixes=('gen/', 'dis/')):
        self.prefixes = prefixes

    def __call__(self, trainer):
        for key, value in trainer.observation.items():
            if not key.startswith(self.prefixes):
                continue
            value = float(chainer.as_array(value))
            if not math.isfinite(value):
                raise DivergenceError(
                    '{} became {} at iteration {}; training stopped before '
                    'writing anything of that iteration. Try lower learning '
                    'rates (--g-lr/--d-lr), a larger --lambda-gp, or resume '
                    'from a snapshot with another --seed.'.format(
                        key, value, trainer.updater.iteration))


def is_complete_snapshot(path):
    """True when ``path`` is a readable npz archive (not a torn write)."""
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None and bool(z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def latest_snapshot(out_dir):
    """The newest complete ``snapshot_iter_N`` in ``out_dir``, or None."""
    if not os.path.isdir(out_dir):
        return None
    found = sorted(((int(m.group(1)), name) for name in os.listdir(out_dir)
                    for m in [SNAPSHOT_PATTERN.match(name)] if m),
                   reverse=True)
    for _, name in found:
        path = os.path.join(out_dir, name)
        if is_complete_snapshot(path):
            return path
    return None


#: Options that may differ between a run and its continuation.
RUN_INDEPENDENT = {'resume', 'force', 'out', 'gpu', 'log_interval',
                   'sample_interval', 'snapshot_interval', 'eval_interval',
                   'n_samples', 'n_eval', 'cache_dir', 'iterations',
                   'decay_start'}


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
