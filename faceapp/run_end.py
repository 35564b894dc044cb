"""What a run leaves behind when training ends early: the exit code, a
snapshot of the last completed iteration after a failure, one line
saying what exists."""
import os
import signal
import traceback

from datasets import atomic
from faceapp import run_files


#: Where the traceback of a failed run goes (the terminal gets one line).
ERROR_FILE = 'error.txt'


#: Exit codes of a run stopped by SIGINT or SIGTERM.
STOP_CODES = (128 + signal.SIGINT, 128 + signal.SIGTERM)


def exit_code(stop, trainer, iterations):
    """0 when the requested iterations are done; 128 + the signal number
    (130 SIGINT, 143 SIGTERM) when a signal stopped the run before."""
    if trainer.updater.iteration >= iterations or not stop.stopped:
        return 0
    number = getattr(signal, stop.received or '', signal.SIGTERM)
    return 128 + int(number)


def capitalized(text):
    """``text`` with its first letter upper case, to start a sentence."""
    return text[:1].upper() + text[1:]


def save_after_failure(trainer, snapshot, progress, out_dir):
    """Writes a snapshot of the last completed iteration after an exception,
    where the models still hold it, and the traceback to ``error.txt``.

    Call it inside the ``except`` block.

    Args:
        trainer: The failed trainer.
        snapshot: Its snapshot extension.
        progress (Progress): The run's progress extension.
        out_dir (str): The out dir.

    Returns:
        str: What exists now and how to go on: sentences for the one-line
        message.
    """
    done = trainer.updater.iteration
    try:
        with atomic.atomic_open(os.path.join(out_dir, ERROR_FILE), 'w') as f:
            traceback.print_exc(file=f)
        details = ' Details: {}.'.format(os.path.join(out_dir, ERROR_FILE))
    except OSError:
        details = ''
    if done and progress.intact(trainer):
        try:
            snapshot(trainer)
            return ('Wrote snapshot_iter_{} (the last completed iteration); '
                    'resume with the same options plus --resume auto --out '
                    '{}.{}'.format(done, out_dir, details))
        except Exception as e:  # a full disk: say so, keep the first error
            what = 'writing its snapshot failed too ({}: {})'.format(
                type(e).__name__, e)
    elif done:
        what = ('no snapshot of iteration {} written: the failure came after '
                'some weights of iteration {} had changed'.format(
                    done, done + 1))
    else:
        what = 'no iteration was completed'
    return '{}; {}.{}'.format(capitalized(what),
                              run_files.describe_newest(out_dir), details)
