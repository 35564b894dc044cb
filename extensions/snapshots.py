"""Reading and writing model and trainer files without pickle."""
import json
import os
import zipfile

import numpy

from chainer import serializers

from extensions import atomic


class UnsafeFileError(ValueError):
    """A model or snapshot file that cannot be loaded safely or at all."""


def read_arrays(path):
    """Every array of an ``.npz``, read with ``allow_pickle=False``.

    Args:
        path (str): The file.

    Returns:
        dict: Key -> numpy.ndarray (none of dtype object).

    Raises:
        UnsafeFileError: The file is missing, not an npz, or holds object
            arrays (refused unread: unpickling them could run code).
    """
    if not os.path.isfile(path):
        raise UnsafeFileError('{} does not exist'.format(path))
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            # Reading every array up front refuses object arrays before
            # any of them is used.
            return {key: npz[key] for key in npz.files}
    except ValueError as e:
        if 'Object arrays' in str(e):
            raise UnsafeFileError(
                '{} holds pickled object arrays; refusing to load it because '
                'unpickling can run arbitrary code. Only load files you made '
                'with this project.'.format(path)) from e
        raise UnsafeFileError(
            '{} is not an npz archive (it holds pickled or unknown data); '
            'refusing to load it'.format(path)) from e
    except (OSError, zipfile.BadZipFile, EOFError, AttributeError) as e:
        raise UnsafeFileError('{} is not a readable npz file: {}'.format(
            path, e)) from e


def load_npz(path, target, strict=True, prefix=''):
    """Loads a ``.npz`` written by ``chainer.serializers.save_npz`` safely.

    Unlike ``chainer.serializers.load_npz``, the file is opened with
    ``allow_pickle=False`` (see :func:`read_arrays`): a file holding object
    arrays (which could run code when unpickled) is refused instead of
    executed.

    Args:
        path (str): The file.
        target: A Link, Optimizer, Trainer or anything serializable.
        strict (bool): Fail when a key the target expects is missing.
        prefix (str): Load only the part under this key, e.g.
            ``'updater/model:gen/'`` for a generator inside a trainer
            snapshot.

    Raises:
        UnsafeFileError: The file is missing, not an npz, holds object
            arrays, or does not match the target.
    """
    load_arrays(read_arrays(path), target, path, strict, prefix)


def load_arrays(arrays, target, path, strict=True, prefix=''):
    """Restores ``target`` from arrays read by :func:`read_arrays`: the one
    place that hands file contents to chainer's deserializer.

    Args:
        arrays (dict): Key -> numpy.ndarray.
        target: A Link, Optimizer, Trainer or anything serializable.
        path (str): Where the arrays came from (named in errors).
        strict (bool): Fail when a key the target expects is missing.
        prefix (str): As in :func:`load_npz`.

    Raises:
        UnsafeFileError: The arrays do not match the target.
    """
    try:
        serializers.NpzDeserializer(arrays, path=prefix,
                                    strict=strict).load(target)
    except ValueError as e:
        raise UnsafeFileError('{} does not match this model: {}'.format(
            path, e)) from e
    except KeyError as e:
        raise UnsafeFileError(
            '{} lacks {}; was it written for another model, preset or label '
            'set?'.format(path, e)) from e


def write_json_atomic(obj, path):
    """Writes ``obj`` as indented JSON so ``path`` is never half-written.

    Args:
        obj: JSON-serialisable value.
        path (str): Destination file.
    """
    with atomic.atomic_open(path, 'w') as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write('\n')


def has_key_prefix(path, prefix):
    """True when the npz at ``path`` holds a key starting with ``prefix``.

    Args:
        path (str): An npz file.
        prefix (str): Key prefix such as ``'updater/model:gen/'``.

    Raises:
        UnsafeFileError: The file is not a readable npz archive.
    """
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            return any(k.startswith(prefix) for k in npz.files)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise UnsafeFileError('{} is not a readable npz file: {}'.format(
            path, e)) from e
