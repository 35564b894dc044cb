"""A one-line text progress bar for the command-line tools (prepare.py,
translate.py)."""
import time


class TextProgress(object):
    """A one-line text progress bar, redrawn at most every ``interval`` s.

    Call it with ``(done, total)``; the final state is always drawn and ends
    the line.

    Args:
        stream (file): Where to draw (e.g. ``sys.stderr``).
        label (str): Word before the bar.
        width (int): Bar width in characters.
        interval (float): Seconds between redraws.
        clock (callable): Returns the time in seconds.
    """

    def __init__(self, stream, label, width=30, interval=0.2, clock=None):
        self.stream, self.label = stream, label
        self.width, self.interval = width, interval
        self.clock = clock or time.monotonic
        self._last = None

    def __call__(self, done, total):
        now = self.clock()
        if done < total and self._last is not None and \
                now - self._last < self.interval:
            return
        self._last = now
        filled = int(self.width * done / max(total, 1))
        self.stream.write('\r{} [{}{}] {}/{}'.format(
            self.label, '#' * filled, '.' * (self.width - filled), done,
            total))
        if done >= total:
            self.stream.write('\n')
        self.stream.flush()
