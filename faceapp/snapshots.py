"""Reading and writing model and trainer files without pickle."""
import os

import numpy

from chainer import serializer as serializer_module
from chainer import serializers

from datasets import npz_files


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
    # Reading every array up front refuses object arrays before any of
    # them is used.
    return _read_npz(path, lambda npz: {key: npz[key] for key in npz.files})


def npz_keys(path):
    """The array names of an ``.npz``, read with ``allow_pickle=False``
    (no array is read).

    Args:
        path (str): The file.

    Returns:
        list of str: The keys, e.g. ``'updater/model:gen/c_in/W'``.

    Raises:
        UnsafeFileError: The file is missing or not a readable npz archive.
    """
    return _read_npz(path, lambda npz: list(npz.files))


def _read_npz(path, read):
    """``read(npz)`` of the archive at ``path``: the one place that opens
    model and trainer files and says in plain words why one cannot be
    read."""
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            return read(npz)
    except npz_files.READ_ERRORS as e:
        raise UnsafeFileError('{} {}'.format(
            path, npz_files.load_problem(path, e))) from e


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
    loader = _CheckedDeserializer(arrays, path=prefix, strict=strict)
    try:
        loader.load(target)
    except ValueError as e:
        raise UnsafeFileError('{} does not match this model: {}'.format(
            path, e)) from e
    except KeyError as e:
        if not loader.mismatches:
            raise UnsafeFileError(
                '{} lacks {}; was it written for another model, preset or '
                'label set?'.format(path, e)) from e
    if loader.mismatches:
        raise _shape_error(path, loader.mismatches)


def _shape_error(path, mismatches):
    """The error for arrays of other shapes: ``(key, in file, here)``
    triples, two shown (model parameters before optimizer state)."""
    shown = sorted(mismatches, key=lambda m: ('model:' not in m[0], m[0]))
    return UnsafeFileError(
        '{} is a snapshot of a different preset or label set: {} array(s) '
        'differ in shape from this model\'s, e.g. {}; load it with the '
        'options of the run that wrote it (its args.json: --preset, '
        '--image-size, dataset and labels)'.format(
            path, len(mismatches), '; '.join(
                '{} is {} in the file, {} here'.format(*m)
                for m in shown[:2])))


class _CheckedDeserializer(serializers.NpzDeserializer):
    """``NpzDeserializer`` that collects arrays of the wrong shape (in
    ``mismatches``, shared by its children) instead of failing on the first
    with numpy's "could not broadcast", and lets trainer extensions the
    file holds nothing of keep their fresh state: those turned on after the
    snapshot was written (e.g. evaluation and its plots when a run is
    resumed with a new ``--eval-interval``)."""

    _EXTENSION_ROOTS = ('extensions/', 'extension_triggers/')

    def __init__(self, npz, path='', strict=True, mismatches=None):
        super(_CheckedDeserializer, self).__init__(npz, path, strict)
        self.mismatches = [] if mismatches is None else mismatches

    def __getitem__(self, key):
        path = self.path + key.strip('/') + '/'
        if self.path in self._EXTENSION_ROOTS and not any(
                k.startswith(path) for k in self.npz):
            return _KeepState()
        return _CheckedDeserializer(self.npz, path, self.strict,
                                    self.mismatches)

    def __call__(self, key, value):
        full = self.path + key.lstrip('/')
        shape = getattr(value, 'shape', None)
        if full in self.npz and shape is not None and \
                tuple(self.npz[full].shape) != tuple(shape):
            self.mismatches.append((full, tuple(self.npz[full].shape),
                                    tuple(shape)))
            return value
        return super(_CheckedDeserializer, self).__call__(key, value)


class _KeepState(serializer_module.Serializer):
    """Given to an extension the snapshot has no state of: it takes the
    writer's path through ``serialize`` and keeps what it has."""

    def __getitem__(self, key):
        return self

    def __call__(self, key, value):
        return value


def has_key_prefix(path, prefix):
    """True when the npz at ``path`` holds a key starting with ``prefix``.

    Args:
        path (str): An npz file.
        prefix (str): Key prefix such as ``'updater/model:gen/'``.

    Raises:
        UnsafeFileError: The file is not a readable npz archive.
    """
    return any(k.startswith(prefix) for k in npz_keys(path))
