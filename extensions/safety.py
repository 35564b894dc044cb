"""Never lose a run: graceful stop and the divergence guard (snapshot
discovery and out-dir checks are in :mod:`faceapp.run_files`)."""
import functools
import math
import signal

import chainer
from chainer import backend
from chainer import training


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
