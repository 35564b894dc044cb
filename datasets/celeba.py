"""CelebA-style attribute lists: ``list_attr_celeba.txt`` beside the images.

The file's first line is the number of images, the second the attribute
names, then one row per image: ``000001.jpg -1 1 1 -1 ...`` (1 means the
attribute is present; -1 or 0 that it is not).
"""
import os

import numpy

from datasets import folder
from datasets.image_files import DatasetError
from datasets.labeled_images import LabeledImageDataset

ATTR_FILE = 'list_attr_celeba.txt'
IMAGE_DIRS = ('images', 'img_align_celeba')
#: Chosen together, these form one exclusive group named ``'hair'``.
HAIR_COLORS = ('Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Gray_Hair')
#: Side of the centred square cut from CelebA's aligned 178 x 218 images.
CELEBA_CROP = 178


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


def layout_attributes(attrs, available):
    """Orders the chosen attributes into label groups.

    Hair colours (:data:`HAIR_COLORS`) chosen together form one exclusive
    group ``'hair'``, placed where the first of them was named (so the label
    order is ``attrs`` with the hair colours gathered together); every other
    attribute, and a single hair colour, is a binary group of its own.

    Args:
        attrs (sequence of str): Chosen attribute names.
        available (sequence of str): Names in the attribute list.

    Returns:
        tuple: ``(label_names, attribute_groups)``; ``attribute_groups`` is a
        list of ``(group_name, tuple of value names)``.

    Raises:
        DatasetError: No attribute, an unknown or a repeated one.
    """
    attrs = list(attrs)
    unknown = [a for a in attrs if a not in available]
    if not attrs or unknown:
        raise DatasetError('{}; choose from: {}'.format(
            'unknown attribute(s) ' + ', '.join(unknown) if unknown
            else 'no attribute chosen', ' '.join(available)))
    if len(set(attrs)) != len(attrs):
        raise DatasetError('attributes repeated in {}'.format(' '.join(attrs)))
    hair = [a for a in attrs if a in HAIR_COLORS]
    names, groups = [], []
    for a in attrs:
        if a not in hair or len(hair) == 1:
            names.append(a)
            groups.append((a, (a,)))
        elif a == hair[0]:
            names += hair
            groups.append(('hair', tuple(hair)))
    return names, groups


def _find_image_dir(root, image_dir):
    if image_dir is not None:
        if not os.path.isdir(image_dir):
            raise DatasetError('image directory {} does not exist'.format(
                image_dir))
        return image_dir
    for name in IMAGE_DIRS:
        if os.path.isdir(os.path.join(root, name)):
            return os.path.join(root, name)
    raise DatasetError('{} has no {} folder; put the pictures there or pass '
                       'image_dir'.format(root, ' or '.join(IMAGE_DIRS)))


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


def _split_rows(n, split, test_fraction, seed, partition):
    if partition is None:
        return numpy.array(folder.split_files(
            list(range(n)), split, test_fraction, seed), dtype=numpy.int64)
    if split == 'all':
        return numpy.arange(n)
    # The validation partition is used for training: the model is not tuned.
    keep = partition == 2 if split == 'test' else partition != 2
    return numpy.flatnonzero(keep)


class CelebADataset(LabeledImageDataset):
    """Faces with binary attributes from a CelebA-style attribute list.

    ============== ================ ======== ===============================
    name           shape            dtype    format
    ============== ================ ======== ===============================
    image          ``(3, S, S)``    float32  RGB in [-1, 1]
    label          ``(L,)``         float32  0/1 per attribute, one-hot in
                                             the hair group
    ============== ================ ======== ===============================

    Pictures are centre-cropped to ``crop`` (CelebA's 178 for its aligned
    178 x 218 images), resized to ``size`` and, with ``flip``, mirrored at
    random. Label order and groups follow :func:`layout_attributes`: hair
    colours chosen together are gathered into one exclusive group. Rows
    whose hair group is not exactly one-hot (no listed hair colour, or two)
    are left out when ``drop_ambiguous`` is set (counted in
    ``n_ambiguous``), because one-hot groups are what the generator is
    asked to produce.

    The split is stable: without ``partition_file``, :func:`~datasets.folder.
    split_files` over all rows of the list in file order (so it does not
    depend on ``attrs``); with it, partition 2 is the test set and
    partitions 0 and 1 the training set.

    Args:
        root (str): Folder holding ``list_attr_celeba.txt`` and ``images/``
            or ``img_align_celeba/``.
        attrs (sequence of str): Chosen attributes, e.g. ``['Black_Hair',
            'Blond_Hair', 'Brown_Hair', 'Male', 'Young']``.
        size (int): Output side S.
        split (str): ``'train'``, ``'test'`` or ``'all'``.
        test_fraction (float): Share held out as test (seeded split).
        seed (int): Split and flip seed.
        flip (bool): Random horizontal flips (for training).
        skip_bad (bool): Leave out missing or unreadable pictures (counted
            in ``n_skipped``, with a warning) instead of failing.
        crop (int or None): Centre square cut before resizing; None takes
            the largest centred square.
        image_dir (str or None): Picture folder, if not under ``root``.
        attr_file (str or None): Attribute list, if not
            ``root/list_attr_celeba.txt``.
        partition_file (str or None): Optional ``list_eval_partition.txt``.
        drop_ambiguous (bool): Leave out rows without exactly one chosen
            hair colour.

    Attributes:
        label_names (list of str): Chosen attributes in label order.
        attribute_groups (list): ``(group_name, value_names)`` pairs.
        n_skipped (int): Missing or unreadable pictures left out.
        n_ambiguous (int): Rows left out for their hair labels.
    """

    def __init__(self, root, attrs, size=128, split='train',
                 test_fraction=0.1, seed=0, flip=False, skip_bad=False,
                 crop=CELEBA_CROP, image_dir=None, attr_file=None,
                 partition_file=None, drop_ambiguous=True):
        folder.check_split(split)
        attr_file = attr_file or os.path.join(root, ATTR_FILE)
        available, filenames, values = read_attribute_file(attr_file)
        if isinstance(attrs, str):
            attrs = attrs.split()
        self.label_names, self.attribute_groups = layout_attributes(
            attrs, available)
        image_dir = _find_image_dir(root, image_dir)
        partition = None if partition_file is None else read_partition(
            partition_file, filenames)
        rows = _split_rows(len(filenames), split, test_fraction, seed,
                           partition)
        columns = [available.index(a) for a in self.label_names]
        labels = (values[rows][:, columns] == 1).astype(numpy.float32)
        rows, labels = self._drop_ambiguous(rows, labels, drop_ambiguous)
        files = [os.path.join(image_dir, filenames[r]) for r in rows]
        if not skip_bad:
            _check_present(files, attr_file, image_dir)
        super(CelebADataset, self).__init__(
            files, labels, size, crop, flip, seed, skip_bad,
            where='the {} split of {}'.format(split, attr_file))

    def _drop_ambiguous(self, rows, labels, drop):
        self.n_ambiguous = 0
        start = 0
        for _, values in self.attribute_groups:
            if drop and len(values) > 1:
                ok = labels[:, start:start + len(values)].sum(axis=1) == 1
                self.n_ambiguous = int((~ok).sum())
                rows, labels = rows[ok], labels[ok]
            start += len(values)
        return rows, labels


def _check_present(files, attr_file, image_dir):
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        raise DatasetError(
            '{} image(s) listed in {} are missing from {}, e.g. {}; add them, '
            'remove their rows, or train with --skip-bad to leave them '
            'out'.format(
                len(missing), attr_file, image_dir,
                ', '.join(os.path.basename(f) for f in missing[:3])))
