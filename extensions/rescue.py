"""The Progress extension: which iteration's models are complete, for the
end-of-run rescue in :mod:`faceapp.run_end` (snapshot after a failure, exit
code, one line saying what exists)."""
import chainer
from chainer import training


def _steps(updater):
    """Each optimizer's update count (Python ints: no device sync)."""
    return {name: opt.t for name, opt in updater.get_all_optimizers().items()}


class Progress(training.Extension):
    """Remembers the optimizers' step counts after every completed iteration.

    It runs first among the extensions, so that a later failure (in an
    extension, or in the next update before any optimizer stepped) can be
    told from one after some weights already changed. It also reports
    ``data/skipped``, the unreadable pictures skipped so far, once there are
    any.

    Args:
        count_skipped (callable or None): ``() -> int``.
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER + 1000
    name = 'progress'

    def __init__(self, count_skipped=None):
        self.count_skipped = count_skipped
        self.steps = None

    def initialize(self, trainer):
        self.steps = _steps(trainer.updater)  # after --resume loaded them

    def __call__(self, trainer):
        self.steps = _steps(trainer.updater)
        skipped = self.count_skipped() if self.count_skipped else 0
        if skipped:
            chainer.report({'data/skipped': skipped})

    def intact(self, trainer):
        """Whether the models still hold the last completed iteration."""
        return self.steps is not None and self.steps == _steps(
            trainer.updater)
