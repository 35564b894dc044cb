"""A whole labelled dataset in one ``.npz`` file, readable without pickle.

Arrays of a pack:

==================== ================== ====================================
key                  dtype, shape       content
==================== ================== ====================================
``images``           uint8 (N, S, S, 3) RGB pictures
``labels``           float32 (N, L)     0/1 labels
``label_names``      unicode (L,)       name of each label position
``attribute_groups`` unicode ()         JSON list of ``[group, [names]]``
``version``          int64 ()           pack format version (1)
==================== ================== ====================================
"""
import json
import os

import numpy

import chainer

from datasets import atomic
from datasets import folder
from datasets.image_files import DatasetError
from datasets import npz_files
from datasets import transforms

VERSION = 1
KEYS = ('images', 'labels', 'label_names', 'attribute_groups', 'version')


def check_layout(labels, label_names, attribute_groups):
    """Checks that labels, names and groups agree.

    Args:
        labels (numpy.ndarray): ``(N, L)`` labels.
        label_names (sequence of str): ``L`` names.
        attribute_groups (sequence): ``(group_name, value_names)`` pairs
            whose values, concatenated, are ``label_names``.

    Raises:
        ValueError: They disagree.
    """
    flat = [v for _, values in attribute_groups for v in values]
    if list(label_names) != flat:
        raise ValueError('attribute groups {} do not list the label names {} '
                         'in order'.format(attribute_groups, label_names))
    if labels.ndim != 2 or labels.shape[1] != len(flat):
        raise ValueError('labels of shape {} do not fit {} label names'
                         .format(labels.shape, len(flat)))


def write_pack(path, images, labels, label_names, attribute_groups):
    """Writes a pack atomically (a reader never sees half a file).

    Args:
        path (str): Destination, conventionally ``*.npz``.
        images (numpy.ndarray): uint8 ``(N, S, S, 3)`` RGB.
        labels (numpy.ndarray): ``(N, L)`` 0/1 labels, stored as float32.
        label_names (sequence of str): ``L`` names.
        attribute_groups (sequence): ``(group_name, value_names)`` pairs.

    Raises:
        ValueError: Shapes, dtypes or names do not fit together.
    """
    images = numpy.asarray(images)
    labels = numpy.asarray(labels, dtype=numpy.float32)
    if images.dtype != numpy.uint8 or images.ndim != 4 or \
            images.shape[3] != 3 or images.shape[1] != images.shape[2]:
        raise ValueError('images must be uint8 (N, S, S, 3), got {} {}'
                         .format(images.dtype, images.shape))
    check_layout(labels, label_names, attribute_groups)
    if len(images) != len(labels):
        raise ValueError('{} images but {} labels'.format(len(images),
                                                          len(labels)))
    groups = [[str(g), [str(v) for v in values]]
              for g, values in attribute_groups]
    arrays = {
        'images': images, 'labels': labels,
        'label_names': numpy.array([str(n) for n in label_names], dtype=str),
        'attribute_groups': numpy.array(json.dumps(groups)),
        'version': numpy.array(VERSION, dtype=numpy.int64)}
    with atomic.atomic_open(path, 'wb') as f:
        numpy.savez(f, **arrays)


def read_pack(path):
    """Reads and checks a pack with ``allow_pickle=False``.

    Args:
        path (str): The ``.npz`` file.

    Returns:
        dict: ``images`` (uint8 ``(N, S, S, 3)``), ``labels`` (float32
        ``(N, L)``), ``label_names`` (list of str) and ``attribute_groups``
        (list of ``(str, tuple of str)``).

    Raises:
        DatasetError: Missing, not an npz, holds object arrays, lacks arrays
            or holds inconsistent ones.
    """
    if not os.path.isfile(path):
        raise DatasetError('pack {} does not exist'.format(path))
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            missing = [k for k in KEYS if k not in npz.files]
            if missing:
                raise DatasetError(
                    '{} lacks the array(s) {}; it is not a pack written by '
                    'write_pack or prepare.py --format npz'.format(
                        path, ', '.join(missing)))
            arrays = {k: npz[k] for k in KEYS}
    except DatasetError:
        raise
    except npz_files.READ_ERRORS as e:
        raise DatasetError('{} {}. Give a pack written by prepare.py '
                           '--format npz or write_pack.'.format(
                               path, npz_files.load_problem(path, e))) from e
    return _check_arrays(path, arrays)


def _check_arrays(path, arrays):
    if int(arrays['version']) != VERSION:
        raise DatasetError('{} is pack version {}; this code reads version {}'
                           .format(path, int(arrays['version']), VERSION))
    names, text = arrays['label_names'], arrays['attribute_groups']
    if names.dtype.kind != 'U' or names.ndim != 1 or text.dtype.kind != 'U':
        raise DatasetError('{}: label_names and attribute_groups must be '
                           'unicode arrays'.format(path))
    try:
        groups = [(str(g), tuple(str(v) for v in values))
                  for g, values in json.loads(str(text))]
    except (ValueError, TypeError) as e:
        raise DatasetError('{}: attribute_groups is not a JSON list of '
                           '[group, [names]]: {}'.format(path, e)) from e
    images, labels = arrays['images'], arrays['labels']
    try:
        if labels.dtype.kind not in 'biuf':
            raise ValueError('labels must be numbers, got {}'.format(
                labels.dtype))
        check_layout(labels, names.tolist(), groups)
        if images.dtype != numpy.uint8 or images.ndim != 4 or \
                images.shape[3] != 3 or len(images) != len(labels):
            raise ValueError('images must be uint8 (N, S, S, 3) with one '
                             'label row each, got {} {}'.format(
                                 images.dtype, images.shape))
    except ValueError as e:
        raise DatasetError('{} is inconsistent: {}'.format(path, e)) from e
    return {'images': images, 'labels': labels.astype(numpy.float32),
            'label_names': names.tolist(), 'attribute_groups': groups}


class PackDataset(chainer.dataset.DatasetMixin):
    """Examples of a pack written by :func:`write_pack`, held in memory.

    ============== ================ ======== ==========================
    name           shape            dtype    format
    ============== ================ ======== ==========================
    image          ``(3, S, S)``    float32  RGB in [-1, 1]
    label          ``(L,)``         float32  0/1, groups as stored
    ============== ================ ======== ==========================

    The split is :func:`~datasets.folder.split_files` over the example
    indices: stable for a given pack, ``test_fraction`` and ``seed``.

    Args:
        path (str): The ``.npz`` file.
        size (int or None): Output side S; None keeps the stored size.
        split (str): ``'train'``, ``'test'`` or ``'all'``.
        test_fraction (float): Share held out as test.
        seed (int): Split and flip seed.
        flip (bool): Random horizontal flips (for training).
        skip_bad (bool): Accepted for a uniform interface; a pack that
            loads has no unreadable pictures, so ``n_skipped`` is 0.

    Attributes:
        label_names (list of str): Name of each label position.
        attribute_groups (list): ``(group_name, value_names)`` pairs.
        indices (numpy.ndarray): Pack rows of this split.
    """

    def __init__(self, path, size=None, split='train', test_fraction=0.1,
                 seed=0, flip=False, skip_bad=False):
        folder.check_split(split)
        data = read_pack(path)
        self.label_names = data['label_names']
        self.attribute_groups = data['attribute_groups']
        self.indices = numpy.array(folder.split_files(
            list(range(len(data['images']))), split, test_fraction, seed),
            dtype=numpy.int64)
        if not len(self.indices):
            raise DatasetError('the {} split of {} is empty'.format(split,
                                                                    path))
        self._images, self._labels = data['images'], data['labels']
        self.size = size or self._images.shape[1]
        self.flip, self.n_skipped = flip, 0
        self.rng = numpy.random.RandomState(seed)

    def __len__(self):
        return len(self.indices)

    def label_of(self, i):
        """float32 ``(L,)`` label of example ``i``."""
        return self._labels[self.indices[i]].copy()

    def get_example(self, i):
        """Returns ``(image, label)``; see the class table."""
        img = transforms.resize(self._images[self.indices[i]], self.size)
        img = transforms.to_chw_float(img)
        if self.flip:
            img = transforms.random_flip(img, self.rng)
        return img, self.label_of(i)
