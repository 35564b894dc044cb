"""A folder per domain: ``ROOT/<domain>/*.png|jpg|...``."""
import os
import warnings

import numpy

from datasets import image_files
from datasets.image_files import BadImageWarning  # NOQA: F401 (re-export)
from datasets.image_files import DatasetError
from datasets.image_files import IMAGE_EXTENSIONS
from datasets.image_files import read_image  # NOQA: F401 (re-export)
from datasets.labeled_images import LabeledImageDataset

SPLITS = ('train', 'test', 'all')


class SmallImageWarning(UserWarning):
    """Pictures too small to hold a face were left out."""


#: Pictures with a side shorter than this hold no usable face; folder
#: datasets leave them out (prepare.py drops pictures below --min-face).
MIN_SIDE = 8


def keep_large_enough(paths, where, min_side=MIN_SIDE):
    """Indices of the files at least ``min_side`` pixels on each side.

    Reads only each file's header. A file whose header cannot be read is
    kept: reading it reports the problem (or ``skip_bad`` leaves it out).
    Issues one :class:`SmallImageWarning` counting the others, naming one.

    Args:
        paths (list of str): Image files.
        where (str): Dataset name for the message (e.g. its root).
        min_side (int): Shortest side kept, in pixels.

    Returns:
        list of int: Indices into ``paths`` of the files kept.
    """
    keep, small = [], []
    for k, path in enumerate(paths):
        w, h = image_files.stored_size(path) or (min_side, min_side)
        if min(w, h) < min_side:
            small.append('{} ({} x {})'.format(path, w, h))
        else:
            keep.append(k)
    if small:
        warnings.warn('left out {} image(s) of {} smaller than {} x {} '
                      'pixels, e.g. {}'.format(len(small), where, min_side,
                                               min_side, small[0]),
                      SmallImageWarning, stacklevel=3)
    return keep


def check_split(split):
    """Raises ValueError unless ``split`` is ``'train'``, ``'test'`` or
    ``'all'``."""
    if split not in SPLITS:
        raise ValueError("split must be 'train', 'test' or 'all', got "
                         "{!r}".format(split))


def image_files_in(directory):
    """Sorted paths of the pictures directly inside ``directory``.

    Args:
        directory (str): Folder to list (not recursively).

    Returns:
        list of str: Files whose extension is in ``IMAGE_EXTENSIONS``.
    """
    return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                  if f.lower().endswith(IMAGE_EXTENSIONS)
                  and not f.startswith('.')
                  and os.path.isfile(os.path.join(directory, f)))


def list_domains(root, min_domains=2):
    """Finds the domain folders and their images.

    Args:
        root (str): Directory holding one sub-directory per domain.
        min_domains (int): Fewest domain folders accepted.

    Returns:
        list of (str, list of str): Sorted domain names with their sorted
        image paths.

    Raises:
        DatasetError: ``root`` is missing, has too few domain folders, or a
            domain folder holds no images.
    """
    if not os.path.isdir(root):
        raise DatasetError('dataset directory {} does not exist; give a '
                           'folder with one sub-folder per domain'.format(root))
    domains = sorted(d for d in os.listdir(root)
                     if os.path.isdir(os.path.join(root, d))
                     and not d.startswith('.'))
    if len(domains) < min_domains:
        raise DatasetError(
            '{} has {} domain folder(s); StarGAN needs at least two '
            '(ROOT/<domain>/*.png)'.format(root, len(domains)))
    found = []
    for d in domains:
        files = image_files_in(os.path.join(root, d))
        if not files:
            raise DatasetError('domain folder {} holds no images ({}); add '
                               'some or remove it'.format(
                                   os.path.join(root, d),
                                   ' '.join(IMAGE_EXTENSIONS)))
        found.append((d, files))
    return found


def split_files(files, split, test_fraction, seed):
    """Deterministic train/test split of one list (e.g. one domain).

    The files, in the order given, are shuffled with ``RandomState(seed)``;
    the last ``ceil(test_fraction * n)`` (at least one when there are two or
    more and ``test_fraction > 0``) are the test set. The result keeps the
    original order. The same files, order and seed always give the same
    split.

    Args:
        files (list): One domain's files (or any items, e.g. indices).
        split (str): ``'train'``, ``'test'`` or ``'all'``.
        test_fraction (float): Share held out for testing, in [0, 1).
        seed (int): Split seed.

    Returns:
        list: The items of that split.
    """
    check_split(split)
    if split == 'all':
        return list(files)
    order = numpy.random.RandomState(seed).permutation(len(files))
    n_test = int(numpy.ceil(test_fraction * len(files))) if len(files) > 1 \
        else 0
    n_test = max(n_test, 1 if len(files) > 1 and test_fraction > 0 else 0)
    picked = order[len(files) - n_test:] if split == 'test' \
        else order[:len(files) - n_test]
    return [files[i] for i in sorted(picked)]


class FolderDataset(LabeledImageDataset):
    """Single-label images from a folder per domain.

    ============== ================ ======== ==========================
    name           shape            dtype    format
    ============== ================ ======== ==========================
    image          ``(3, S, S)``    float32  RGB in [-1, 1]
    label          ``(L,)``         float32  one-hot over the L domains
    ============== ================ ======== ==========================

    Images are centre-cropped to a square and resized to ``size``; training
    examples are mirrored at random when ``flip`` is set. Each domain is
    split on its own with :func:`split_files`, so every domain appears in
    both splits. Pictures with a side under :data:`MIN_SIDE` pixels are
    then left out (counted in ``n_small``, with a warning).

    Args:
        root (str): ``ROOT/<domain>/<image>``; domains sorted by name.
        size (int): Output size S.
        split (str): ``'train'``, ``'test'`` or ``'all'``.
        test_fraction (float): Share of each domain held out as test.
        seed (int): Split seed (the split is stable for a given seed).
        flip (bool): Random horizontal flips (for training).
        skip_bad (bool): Leave out unreadable files (counted in
            ``n_skipped``, with a warning) instead of failing on them.

    Attributes:
        label_names (list of str): Domain names.
        attribute_groups (list): ``[('domain', tuple(label_names))]``.
        domains (list of int): Domain index of each example.
        n_skipped (int): Unreadable files left out.
        n_small (int): Files too small to hold a face left out.
    """

    def __init__(self, root, size=128, split='train', test_fraction=0.1,
                 seed=0, flip=False, skip_bad=False):
        check_split(split)
        domains = list_domains(root)
        self.label_names = [d for d, _ in domains]
        self.attribute_groups = [('domain', tuple(self.label_names))]
        files, index = [], []
        for k, (_, in_domain) in enumerate(domains):
            picked = split_files(in_domain, split, test_fraction, seed)
            files += picked
            index += [k] * len(picked)
        if not files:
            raise DatasetError('the {} split of {} is empty; add images or '
                               'lower the test fraction'.format(split, root))
        had = set(index)
        where = 'the {} split of {}'.format(split, root)
        keep = keep_large_enough(files, where)
        self.n_small = len(files) - len(keep)
        files, index = [files[k] for k in keep], [index[k] for k in keep]
        labels = numpy.eye(len(domains), dtype=numpy.float32)[index]
        super(FolderDataset, self).__init__(
            files, labels, size, None, flip, seed, skip_bad, where=where)
        self.domains = [int(k) for k in self.labels.argmax(axis=1)]
        # Only skipping can empty a domain that the split had.
        missing = sorted({self.label_names[k] for k in had} -
                         {self.label_names[k] for k in self.domains})
        if missing:
            raise DatasetError(
                'the {} split of {} has no readable image of domain(s) {} '
                '(pictures under {} px are left out too); add pictures '
                'there'.format(split, root, ', '.join(missing),
                               MIN_SIDE))
