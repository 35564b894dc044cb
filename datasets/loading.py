"""One entry point that picks the right loader for a path."""
import os

from datasets import celeba
from datasets import celeba_lists
from datasets import folder
from datasets import pack
from datasets.image_files import DatasetError

#: File name of the pack that ``prepare.py --format npz`` writes in OUT.
PACK_NAME = 'pack.npz'


def dataset_kind(path):
    """Names the loader :func:`open_dataset` would use for ``path``.

    Args:
        path (str): A ``.npz`` pack, a folder holding ``pack.npz``, a folder
            holding ``list_attr_celeba.txt``, or a folder per domain.

    Returns:
        tuple: ``(kind, path)``: ``'pack'``, ``'celeba'`` or ``'folder'``,
        and the file or folder to give that loader.

    Raises:
        DatasetError: ``path`` does not exist or is another kind of file.
    """
    if os.path.isfile(path):
        if path.lower().endswith('.npz'):
            return 'pack', path
        raise DatasetError('{} is a file but not an .npz pack; give a pack, '
                           'a CelebA-style folder or a folder per domain'
                           .format(path))
    if not os.path.isdir(path):
        raise DatasetError('dataset {} does not exist'.format(path))
    if os.path.isfile(os.path.join(path, celeba_lists.ATTR_FILE)):
        return 'celeba', path
    if os.path.isfile(os.path.join(path, PACK_NAME)):
        return 'pack', os.path.join(path, PACK_NAME)
    return 'folder', path


def open_dataset(path, size, split, attrs=None, test_fraction=0.1, seed=0,
                 flip=False, skip_bad=False):
    """Opens a dataset of ``(image, label)`` examples from a path.

    ========================================= ===================
    path                                      loader
    ========================================= ===================
    an ``.npz`` file                          ``PackDataset``
    a folder holding ``pack.npz``             ``PackDataset``
    a folder holding ``list_attr_celeba.txt`` ``CelebADataset``
    any other folder                          ``FolderDataset``
    ========================================= ===================

    Every loader returns float32 ``(3, size, size)`` RGB images in [-1, 1]
    and float32 ``(L,)`` labels, and has ``label_names``,
    ``attribute_groups``, ``label_of(i)`` and ``n_skipped``.

    Args:
        path (str): Dataset location.
        size (int): Output side in pixels.
        split (str): ``'train'``, ``'test'`` or ``'all'``.
        attrs (sequence of str or None): CelebA attributes to use; required
            for a CelebA-style folder, refused for the others.
        test_fraction (float): Share held out as the test split.
        seed (int): Split (and flip) seed; the split is stable for a seed.
        flip (bool): Random horizontal flips (for training).
        skip_bad (bool): Leave out unreadable pictures instead of failing.

    Returns:
        chainer.dataset.DatasetMixin: The dataset.

    Raises:
        DatasetError: A bad path, a missing or unknown attribute, or bad
            data; the message says what to do.
    """
    kind, where = dataset_kind(path)
    common = dict(test_fraction=test_fraction, seed=seed, flip=flip,
                  skip_bad=skip_bad)
    if kind == 'celeba':
        if not attrs:
            names = celeba_lists.read_attribute_names(
                os.path.join(where, celeba_lists.ATTR_FILE))
            raise DatasetError(
                '{} is a CelebA-style dataset: choose attributes (e.g. '
                'Black_Hair Blond_Hair Brown_Hair Male Young) from: {}'
                .format(path, ' '.join(names)))
        return celeba.CelebADataset(where, attrs, size, split, **common)
    if attrs:
        raise DatasetError('attributes ({}) only apply to CelebA-style '
                           'datasets; {} is a {} dataset whose labels are '
                           'fixed'.format(' '.join(attrs), path, kind))
    if kind == 'pack':
        return pack.PackDataset(where, size, split, **common)
    return folder.FolderDataset(where, size, split, **common)
