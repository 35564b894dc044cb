"""A folder per domain: ``ROOT/<domain>/*.png|jpg|...``."""
import os

import numpy
from PIL import Image
from PIL import ImageOps

import chainer

from datasets import transforms

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.gif',
                    '.tif', '.tiff')


class DatasetError(ValueError):
    """Bad dataset input; the message names the file and what to do."""


def read_image(path):
    """Reads any common image file as RGB.

    Grayscale, palette, RGBA, 16-bit and CMYK images are converted to RGB and
    EXIF orientation is applied.

    Args:
        path (str): Image file.

    Returns:
        numpy.ndarray: uint8 ``(H, W, 3)``.

    Raises:
        DatasetError: The file is missing, empty or not a readable image.
    """
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode in ('I;16', 'I;16B', 'I;16L', 'I'):
                img = img.point(lambda v: v / 256).convert('L')
            return numpy.asarray(img.convert('RGB'))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) \
            as e:
        raise DatasetError('cannot read image {}: {}. Remove or replace the '
                           'file.'.format(path, e)) from e


def list_domains(root):
    """Finds the domain folders and their images.

    Args:
        root (str): Directory holding one sub-directory per domain.

    Returns:
        list of (str, list of str): Sorted domain names with their sorted
        image paths.

    Raises:
        DatasetError: ``root`` is missing, has no domain folders, or a domain
            folder holds no images.
    """
    if not os.path.isdir(root):
        raise DatasetError('dataset directory {} does not exist; give a '
                           'folder with one sub-folder per domain'.format(root))
    domains = sorted(d for d in os.listdir(root)
                     if os.path.isdir(os.path.join(root, d))
                     and not d.startswith('.'))
    if len(domains) < 2:
        raise DatasetError(
            '{} has {} domain folder(s); StarGAN needs at least two '
            '(ROOT/<domain>/*.png)'.format(root, len(domains)))
    found = []
    for d in domains:
        files = sorted(os.path.join(root, d, f)
                       for f in os.listdir(os.path.join(root, d))
                       if f.lower().endswith(IMAGE_EXTENSIONS))
        if not files:
            raise DatasetError('domain folder {} holds no images ({}); add '
                               'some or remove it'.format(
                                   os.path.join(root, d),
                                   ' '.join(IMAGE_EXTENSIONS)))
        found.append((d, files))
    return found


def split_files(files, split, test_fraction, seed):
    """Deterministic per-domain train/test split.

    The files (sorted) are shuffled with ``RandomState(seed)``; the last
    ``ceil(test_fraction * n)`` (at least one when there are two or more) are
    the test set.

    Args:
        files (list of str): One domain's files.
        split (str): ``'train'``, ``'test'`` or ``'all'``.
        test_fraction (float): Share held out for testing.
        seed (int): Split seed.

    Returns:
        list of str: The files of that split.
    """
    if split == 'all':
        return list(files)
    order = numpy.random.RandomState(seed).permutation(len(files))
    n_test = int(numpy.ceil(test_fraction * len(files))) if len(files) > 1 \
        else 0
    n_test = max(n_test, 1 if len(files) > 1 and test_fraction > 0 else 0)
    picked = order[len(files) - n_test:] if split == 'test' \
        else order[:len(files) - n_test]
    return [files[i] for i in sorted(picked)]


class FolderDataset(chainer.dataset.DatasetMixin):
    """Single-label images from a folder per domain.

    ============== ================ ======== ==========================
    name           shape            dtype    format
    ============== ================ ======== ==========================
    image          ``(3, S, S)``    float32  RGB in [-1, 1]
    label          ``(L,)``         float32  one-hot over the L domains
    ============== ================ ======== ==========================

    Images are centre-cropped to a square and resized to ``size``; training
    examples are mirrored at random when ``flip`` is set.

    Args:
        root (str): ``ROOT/<domain>/<image>``; domains sorted by name.
        size (int): Output size S.
        split (str): ``'train'``, ``'test'`` or ``'all'``.
        test_fraction (float): Share of each domain held out as test.
        seed (int): Split seed (the split is stable for a given seed).
        flip (bool): Random horizontal flips (for training).
    """

    def __init__(self, root, size=128, split='train', test_fraction=0.1,
                 seed=0, flip=False):
        if split not in ('train', 'test', 'all'):
            raise ValueError("split must be 'train', 'test' or 'all', got "
                             "{!r}".format(split))
        domains = list_domains(root)
        self.label_names = [d for d, _ in domains]
        self.attribute_groups = [('domain', tuple(self.label_names))]
        self.files, self.domains = [], []
        for k, (_, files) in enumerate(domains):
            picked = split_files(files, split, test_fraction, seed)
            self.files += picked
            self.domains += [k] * len(picked)
        if not self.files:
            raise DatasetError('the {} split of {} is empty; add images or '
                               'lower the test fraction'.format(split, root))
        self.size, self.flip = size, flip
        self.rng = numpy.random.RandomState(seed)

    def __len__(self):
        return len(self.files)

    def label_of(self, i):
        """float32 ``(L,)`` one-hot label of example ``i``."""
        label = numpy.zeros(len(self.label_names), numpy.float32)
        label[self.domains[i]] = 1
        return label

    def get_example(self, i):
        img = transforms.resize(
            transforms.center_crop_square(read_image(self.files[i])),
            self.size)
        img = transforms.to_chw_float(img)
        if self.flip:
            img = transforms.random_flip(img, self.rng)
        return img, self.label_of(i)
