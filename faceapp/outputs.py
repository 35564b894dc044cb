"""Output folders of evaluate.py, translate.py, prepare.py and compare.py:
checked before any work, and a failed write (full disk, read-only file
system, no permission) reported as one line naming the path."""
import contextlib
import os
import tempfile

from datasets import atomic


class OutputError(Exception):
    """An output cannot be written; the message names the path and what to
    do, in one line."""


def _reason(e):
    return e.strerror or str(e)


def _existing_folder(path, flag):
    """The nearest folder that exists on the way to ``path`` (itself
    included); raises OutputError for a file on the way."""
    here = os.path.abspath(path)
    while not os.path.isdir(here):
        if os.path.lexists(here):
            if here == os.path.abspath(path):
                raise OutputError('{} {} is a file, not a folder; choose '
                                  'another {}'.format(flag, path, flag))
            raise OutputError('{} {}: {} is a file, so no folder can be '
                              'made there; choose another {}'.format(
                                  flag, path, here, flag))
        here = os.path.dirname(here)
    return here


def check_out_dir(path, flag='--out'):
    """Checks, before the work, that ``path`` is or can become a folder we
    may write in. Nothing is created: the nearest existing folder on the
    way is probed with a temporary file, removed at once.

    Args:
        path (str): The output folder, as the user gave it.
        flag (str): The flag or argument that named it, for the message.

    Raises:
        OutputError: It is a file, lies under a file, or cannot be written
            (read-only, no permission, full disk).
    """
    folder = _existing_folder(path, flag)
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix='.write-test-',
                                     suffix='.tmp')
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise OutputError('{} {}: cannot write in {} ({}); choose another '
                          '{}'.format(flag, path, folder, _reason(e), flag))


def write_failure(e, path, flag='--out'):
    """The one-line message for an OSError ``e`` raised writing under
    ``path`` (named rather than the temporary file that failed)."""
    return ('cannot write in {} ({}); nothing was left half-written: free '
            'some space or choose another {}'.format(path, _reason(e), flag))


@contextlib.contextmanager
def write_errors(path, flag='--out'):
    """Turns an OSError raised in the block (writing under ``path``) into
    :class:`OutputError` with :func:`write_failure`'s message."""
    try:
        yield
    except OSError as e:
        raise OutputError(write_failure(e, path, flag)) from e


@contextlib.contextmanager
def writing(out_dir, flag='--out'):
    """A report's files, all or none: yields a staging folder (see
    :func:`datasets.atomic.staged_dir`) whose files reach ``out_dir``
    when the block succeeds; an OSError becomes :class:`OutputError`."""
    with write_errors(out_dir, flag), atomic.staged_dir(out_dir) as staging:
        yield staging
