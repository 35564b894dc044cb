"""CelebA's list files: the attribute list ``list_attr_celeba.txt`` and
the partition ``list_eval_partition.txt``, every row checked.

The attribute list's first line is the number of images, the second the
attribute names, then one row per image: ``000001.jpg -1 1 1 -1 ...`` (1
means the attribute is present; -1 or 0 that it is not).
"""
import os

import numpy

from datasets.image_files import DatasetError

ATTR_FILE = 'list_attr_celeba.txt'


def read_attribute_names(path):
    """Reads only the header of an attribute list.

    Args:
        path (str): ``list_attr_celeba.txt``.

    Returns:
        list of str: The attribute names, in file order.

    Raises:
        DatasetError: The file is missing or its header is malformed.
    """
    return _read(path, header_only=True)[0]


def read_attribute_file(path):
    """Parses a whole attribute list, checking every row.

    Args:
        path (str): ``list_attr_celeba.txt``.

    Returns:
        tuple: ``(names, filenames, values)``: the attribute names (list of
        str), the image file names (list of str, file order) and int8
        ``(N, len(names))`` values in {-1, 0, 1}.

    Raises:
        DatasetError: Missing file, malformed header, a row with the wrong
            number of columns or a value other than -1, 0 or 1, a repeated
            file name, or a row count that disagrees with the first line.
    """
    return _read(path, header_only=False)


def _read(path, header_only):
    if not os.path.isfile(path):
        raise DatasetError('attribute list {} does not exist'.format(path))
    try:
        return _parse(path, header_only)
    except UnicodeDecodeError as e:
        raise DatasetError('{} is not a text file ({}); a CelebA attribute '
                           'list is plain text'.format(path, e)) from e


def _parse(path, header_only):
    with open(path, encoding='utf-8') as f:
        first, second = f.readline().strip(), f.readline().split()
        try:
            count = int(first)
        except ValueError:
            raise DatasetError(
                '{} is not a CelebA attribute list: its first line should be '
                'the number of images, found {!r}'.format(path, first[:40]))
        if not second or len(set(second)) != len(second):
            raise DatasetError('{} line 2 should name each attribute once, '
                               'found {!r}'.format(path, ' '.join(second)))
        if header_only:
            return second, None, None
        names, values = [], []
        for n, line in enumerate(f, start=3):
            row = line.split()
            if row:
                names.append(row[0])
                values.append(_parse_row(path, n, row, len(second)))
    if len(set(names)) != len(names):
        raise DatasetError('{} lists some file more than once; keep one row '
                           'per image'.format(path))
    if len(names) != count:
        raise DatasetError(
            '{} declares {} images on its first line but has {} rows; the '
            'file may be truncated (or fix the first line)'.format(
                path, count, len(names)))
    values = numpy.array(values, dtype=numpy.int8).reshape(-1, len(second))
    return second, names, values


def _parse_row(path, n, row, n_attrs):
    if len(row) != n_attrs + 1:
        raise DatasetError(
            '{} line {} ({}) has {} columns; expected {} (a file name and '
            '{} values). Fix or remove the row.'.format(
                path, n, row[0], len(row), n_attrs + 1, n_attrs))
    try:
        values = [int(v) for v in row[1:]]
    except ValueError:
        values = [None]
    if not set(values) <= {-1, 0, 1}:
        raise DatasetError('{} line {} ({}): values must be -1, 0 or 1'
                           .format(path, n, row[0]))
    return values


def read_partition(path, filenames):
    """Reads ``list_eval_partition.txt`` (``name k``; 0 train, 1 val, 2 test).

    Args:
        path (str): Partition file.
        filenames (list of str): Files of the attribute list.

    Returns:
        numpy.ndarray: int ``(N,)`` partition of each of ``filenames``.

    Raises:
        DatasetError: A malformed row, or a listed image left out.
    """
    if not os.path.isfile(path):
        raise DatasetError('partition file {} does not exist'.format(path))
    part = {}
    with open(path) as f:
        for n, line in enumerate(f, start=1):
            row = line.split()
            if row and (len(row) != 2 or row[1] not in ('0', '1', '2')):
                raise DatasetError('{} line {} should be "<file> 0|1|2", '
                                   'found {!r}'.format(path, n, line.strip()))
            if row:
                part[row[0]] = int(row[1])
    missing = [f for f in filenames if f not in part]
    if missing:
        raise DatasetError('{} does not list {} image(s) of the attribute '
                           'list, e.g. {}'.format(path, len(missing),
                                                  missing[0]))
    return numpy.array([part[f] for f in filenames])
