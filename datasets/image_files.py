"""Reading picture files safely, and the base of the file-backed datasets.

Every failure to read a picture becomes a :class:`DatasetError` whose message
names the file and what to do, so that a bad file in a dataset of thousands
is found at once.
"""
import os
import struct
import warnings

import numpy
from PIL import Image
from PIL import ImageOps

import chainer

from datasets import transforms

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.gif',
                    '.tif', '.tiff')

#: Largest picture (width x height) decoded by default, about 8000 x 8000.
#: Checked per call on the header, before decoding, so PIL's global
#: ``Image.MAX_IMAGE_PIXELS`` is left as it is.
MAX_PIXELS = 64 * 1024 * 1024

# PIL reports malformed files through many exception types.
_READ_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError,
                struct.error, Image.DecompressionBombError,
                Image.DecompressionBombWarning)
_ALPHA_MODES = ('RGBA', 'LA', 'PA', 'RGBa', 'La')


class DatasetError(ValueError):
    """Bad dataset input; the message names the file and what to do."""


class BadImageWarning(UserWarning):
    """Unreadable pictures were skipped because ``skip_bad`` was set."""


def to_rgb_array(img):
    """Converts a PIL image of any mode to 8-bit RGB.

    16- and 32-bit integer grey levels are read as 0..65535 and scaled down;
    float grey levels are read as [0, 1] when their maximum is at most 1,
    else as [0, 255]; transparent pixels are composited over white (the
    colour under them is undefined); CMYK, palette and bilevel images go
    through PIL's conversion.

    Args:
        img (PIL.Image.Image): Decoded or lazily opened image.

    Returns:
        numpy.ndarray: uint8 ``(H, W, 3)``.
    """
    if img.mode.startswith('I') or img.mode == 'F':
        grey = numpy.asarray(img).astype(numpy.float64)
        if img.mode.startswith('I'):
            grey = grey / 256.
        elif grey.size and numpy.nanmax(grey) <= 1:
            grey = grey * 255.
        grey = numpy.clip(numpy.nan_to_num(grey), 0, 255).astype(numpy.uint8)
        return numpy.repeat(grey[:, :, None], 3, axis=2)
    if img.mode in _ALPHA_MODES or 'transparency' in img.info:
        rgba = numpy.asarray(img.convert('RGBA')).astype(numpy.float32)
        alpha = rgba[:, :, 3:] / 255.
        rgb = rgba[:, :, :3] * alpha + 255. * (1. - alpha)
        return numpy.clip(rgb + .5, 0, 255).astype(numpy.uint8)
    return numpy.asarray(img.convert('RGB'))


def _open_error(path, e):
    return DatasetError('cannot read image {}: {}. Remove or replace the '
                        'file.'.format(path, e))


def _check_pixels(img, path, max_pixels):
    w, h = img.size
    if max_pixels is not None and w * h > max_pixels:
        raise DatasetError(
            'refusing to decode {}: {} x {} pixels exceeds the limit of {} '
            '(a possible decompression bomb). Downscale the picture or raise '
            'max_pixels if you trust it.'.format(path, w, h, max_pixels))
    if w < 1 or h < 1:
        raise DatasetError('{} has no pixels ({} x {}); remove it'.format(
            path, w, h))


def _with_image(path, max_pixels, use):
    """Opens ``path``, checks its size, returns ``use(img)``; errors named."""
    try:
        with warnings.catch_warnings():
            # PIL only warns between its limit and twice that; a picture
            # that large is refused here rather than decoded.
            warnings.simplefilter('error', Image.DecompressionBombWarning)
            with Image.open(path) as img:
                _check_pixels(img, path, max_pixels)
                return use(img)
    except DatasetError:
        raise
    except _READ_ERRORS as e:
        raise _open_error(path, e) from e


def read_image(path, max_pixels=MAX_PIXELS):
    """Reads any common image file as RGB.

    Grayscale, palette, RGBA, 16-bit and CMYK images are converted to RGB
    (see :func:`to_rgb_array`) and the EXIF orientation is applied.

    Args:
        path (str): Image file.
        max_pixels (int or None): Refuse pictures with more pixels than this
            before decoding them; None disables this check (PIL's own global
            limit still applies).

    Returns:
        numpy.ndarray: uint8 ``(H, W, 3)``.

    Raises:
        DatasetError: The file is missing, empty, truncated, not an image,
            or too large.
    """
    return _with_image(path, max_pixels,
                       lambda img: to_rgb_array(ImageOps.exif_transpose(img)))


def probe_image(path, max_pixels=MAX_PIXELS):
    """Checks a file cheaply without decoding it fully.

    Reads the header (and, for PNG, verifies the chunk checksums, which
    catches most truncated files).

    Args:
        path (str): Image file.
        max_pixels (int or None): As in :func:`read_image`.

    Returns:
        tuple of int: ``(width, height)`` as stored (before EXIF rotation).

    Raises:
        DatasetError: As :func:`read_image` would for most bad files.
    """
    def check(img):
        size = img.size
        img.verify()
        return size
    return _with_image(path, max_pixels, check)


def keep_readable(paths, where, max_pixels=MAX_PIXELS):
    """Probes every file and returns the indices of the good ones.

    Issues one :class:`BadImageWarning` naming a few of the skipped files.

    Args:
        paths (list of str): Image files.
        where (str): Dataset name for the messages (e.g. its root).
        max_pixels (int or None): As in :func:`read_image`.

    Returns:
        list of int: Indices into ``paths`` of the readable files.
    """
    keep, bad = [], []
    for k, path in enumerate(paths):
        try:
            probe_image(path, max_pixels)
            keep.append(k)
        except DatasetError as e:
            bad.append(str(e))
    if bad:
        warnings.warn('skipped {} unreadable image(s) of {}: {}{}'.format(
            len(bad), where, '; '.join(bad[:3]),
            ' ...' if len(bad) > 3 else ''), BadImageWarning, stacklevel=3)
    return keep


def stored_size(path):
    """``(width, height)`` from a picture file's header (nothing decoded),
    or None when the header cannot be read."""
    try:
        with Image.open(path) as img:
            return img.size
    except _READ_ERRORS:
        return None


def _refuse_empty(paths, where):
    """Raises DatasetError naming the zero-byte files among ``paths``."""
    empty = [p for p in paths if os.path.isfile(p) and not os.path.getsize(p)]
    if empty:
        raise DatasetError(
            '{} empty (0-byte) image file(s) in {}: {}{}; remove them, or '
            'leave them out with --skip-bad'.format(
                len(empty), where, ', '.join(empty[:3]),
                ' ...' if len(empty) > 3 else ''))


class LabeledImageDataset(chainer.dataset.DatasetMixin):
    """Labelled image files decoded on demand: the base of the file loaders.

    ============== ================ ======== ==========================
    name           shape            dtype    format
    ============== ================ ======== ==========================
    image          ``(3, S, S)``    float32  RGB in [-1, 1]
    label          ``(L,)``         float32  0/1, layout of the subclass
    ============== ================ ======== ==========================

    With ``skip_bad`` every file is probed up front (:func:`probe_image`)
    and the bad ones are left out; a file that still fails to decode later
    (a truncated JPEG) is replaced by the next readable example, with a
    :class:`BadImageWarning`. ``n_skipped`` counts both. Without
    ``skip_bad`` empty files are refused up front (a size check, cheap on
    any number of files) and a bad file raises :class:`DatasetError` when
    it is read, unless ``skip_unreadable`` is set.

    Args:
        files (list of str): Image paths.
        labels (numpy.ndarray): float32 ``(N, L)``.
        size (int): Output side S.
        crop (int or None): Side of the centred square cut before resizing;
            None takes the largest centred square.
        flip (bool): Random horizontal flips (for training).
        seed (int): Seed of the flips.
        skip_bad (bool): Leave out unreadable files instead of failing.
        where (str): Dataset name used in messages.

    Attributes:
        files (list of str): The paths, in example order.
        labels (numpy.ndarray): float32 ``(N, L)``.
        n_skipped (int): Unreadable files left out so far.
        skip_unreadable (bool): Replace a file that fails to decode when
            read by the next readable example (counted, one warning per
            file) instead of raising; on with ``skip_bad``. ``train.py``
            sets it on its training split so that one bad file never ends
            a run.
    """

    def __init__(self, files, labels, size, crop=None, flip=False, seed=0,
                 skip_bad=False, where='dataset'):
        labels = numpy.asarray(labels, dtype=numpy.float32)
        self.n_skipped = 0
        if skip_bad:
            keep = keep_readable(files, where)
            self.n_skipped = len(files) - len(keep)
            files, labels = [files[k] for k in keep], labels[keep]
        else:
            _refuse_empty(files, where)
        if not files:
            raise DatasetError('{} has no readable images; check the files '
                               'or the split'.format(where))
        self.files, self.labels = list(files), labels
        self.size, self.crop, self.flip = size, crop, flip
        self.skip_bad, self.where = skip_bad, where
        self.skip_unreadable = skip_bad
        self.rng = numpy.random.RandomState(seed)
        self._bad = set()

    def __len__(self):
        return len(self.files)

    def label_of(self, i):
        """float32 ``(L,)`` label of example ``i``, without reading it."""
        return self.labels[i].copy()

    def read(self, i):
        """uint8 ``(S, S, 3)`` cropped and resized picture of example ``i``.
        """
        path = self.files[i]
        img = read_image(path)
        if self.crop is None:
            img = transforms.center_crop_square(img)
        else:
            try:
                img = transforms.center_crop(img, self.crop)
            except ValueError as e:
                raise DatasetError(
                    '{} is too small to crop: {}. Remove or replace it, or '
                    'train with --skip-bad to leave such pictures out'.format(
                        path, e)) from e
        return transforms.resize(img, self.size)

    def get_example(self, i):
        """Returns ``(image, label)``; see the class table."""
        n = len(self)
        for k in range(n):
            j = (i + k) % n
            if j in self._bad:
                continue
            try:
                img = transforms.to_chw_float(self.read(j))
            except DatasetError as e:
                if not self.skip_unreadable:
                    raise
                self._bad.add(j)
                self.n_skipped += 1
                warnings.warn('skipped {}; using the next example'.format(e),
                              BadImageWarning, stacklevel=2)
                continue
            if self.flip:
                img = transforms.random_flip(img, self.rng)
            return img, self.label_of(j)
        raise DatasetError('no image of {} is readable'.format(self.where))
