"""Atomic file writes: a reader never sees a half-written file."""
import contextlib
import os
import tempfile


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path, mode='wb'):
    """Opens a temporary file beside ``path`` and renames it on success.

    On any error the temporary file is removed and ``path`` keeps its old
    content (or stays absent).

    Args:
        path (str): Final destination; parent directories are created.
        mode (str): ``'wb'`` or ``'w'``.

    Yields:
        file: The open temporary file.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.',
                               suffix='.tmp')
    try:
        # mkstemp creates 0600 files; give the usual permissions instead.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, mode) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
