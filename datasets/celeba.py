"""CelebA-style datasets: the pictures named by ``list_attr_celeba.txt``
(read by :mod:`datasets.celeba_lists`) beside the images, labelled by the
chosen attributes."""
import os

import numpy

from datasets import folder
from datasets.celeba_lists import ATTR_FILE
from datasets.celeba_lists import read_attribute_file
from datasets.celeba_lists import read_partition
from datasets.image_files import DatasetError
from datasets.labeled_images import LabeledImageDataset

IMAGE_DIRS = ('images', 'img_align_celeba')
#: Chosen together, these form one exclusive group named ``'hair'``.
HAIR_COLORS = ('Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Gray_Hair')
#: Side of the centred square cut from CelebA's aligned 178 x 218 images.
CELEBA_CROP = 178


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
