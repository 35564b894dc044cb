"""Reading picture files safely (the base of the file-backed datasets,
:class:`datasets.labeled_images.LabeledImageDataset`, reads with it).

Every failure to read a picture becomes a :class:`DatasetError` whose message
names the file and what to do, so that a bad file in a dataset of thousands
is found at once.
"""
import struct
import warnings

import numpy
from PIL import Image
from PIL import ImageOps

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


def stored_size(path):
    """``(width, height)`` from a picture file's header (nothing decoded),
    or None when the header cannot be read."""
    try:
        with Image.open(path) as img:
            return img.size
    except _READ_ERRORS:
        return None
