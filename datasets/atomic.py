"""Atomic file writes: a reader never sees a half-written file."""
import contextlib
import json
import os
import re
import shutil
import tempfile
import time


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


@contextlib.contextmanager
def staged_dir(out_dir):
    """All or nothing for several files: yields a hidden folder inside
    ``out_dir`` to write them in, and moves them into ``out_dir`` (same
    relative paths, replacing older ones) only when the block succeeds.

    On any error the folder is removed with everything in it, ``out_dir``
    keeps its old files, and an ``out_dir`` created here is removed again
    if empty. Moving needs no disk space (renames on one file system).

    Args:
        out_dir (str): Final folder; created with its parents.

    Yields:
        str: The staging folder.
    """
    created = not os.path.isdir(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    staging = tempfile.mkdtemp(dir=out_dir, prefix='.staged-', suffix='.tmp')
    try:
        yield staging
        for root, _, files in os.walk(staging):
            target = os.path.join(out_dir, os.path.relpath(root, staging))
            os.makedirs(target, exist_ok=True)
            for name in files:
                os.replace(os.path.join(root, name),
                           os.path.join(target, name))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(out_dir)  # only when empty
        raise
    shutil.rmtree(staging, ignore_errors=True)


#: Names ``tempfile.mkstemp`` gives :func:`atomic_open`'s temporary files:
#: a dot, eight characters of its alphabet, ``.tmp``.
TEMP_NAME = re.compile(r'^\.[a-z0-9_]{8}\.tmp$')

#: Names ``tempfile.mkdtemp`` gives :func:`staged_dir`'s staging folders.
STAGED_NAME = re.compile(r'^\.staged-[a-z0-9_]{8}\.tmp$')


def remove_stale(directory, min_age_s=0):
    """Removes temporary files that a killed process left in ``directory``.

    Call it only while no other process can be writing there (while
    holding the directory's lock, see :mod:`faceapp.run_lock`), or with
    a ``min_age_s`` longer than any live write: a live writer's temporary
    file looks the same.

    Args:
        directory (str): A directory written through :func:`atomic_open`.
        min_age_s (float): Leave files modified less than this long ago.

    Returns:
        list of str: The names removed (only files matching
        :data:`TEMP_NAME` and folders matching :data:`STAGED_NAME`; nothing
        else is touched).
    """
    if not os.path.isdir(directory):
        return []
    removed, now = [], time.time()
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if now - os.path.getmtime(path) < min_age_s:
            continue
        if TEMP_NAME.match(name) and os.path.isfile(path):
            os.remove(path)
        elif STAGED_NAME.match(name) and os.path.isdir(path):
            shutil.rmtree(path)  # a report killed before it was moved in
        else:
            continue
        removed.append(name)
    return removed


def write_json_atomic(obj, path):
    """Writes ``obj`` as indented JSON so ``path`` is never half-written.

    Args:
        obj: JSON-serialisable value.
        path (str): Destination file.
    """
    with atomic_open(path, 'w') as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write('\n')
