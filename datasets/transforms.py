"""Image transforms as pure functions on HWC uint8 / CHW float32 arrays."""
import numpy
from PIL import Image


def center_crop_square(img):
    """Crops the largest centred square.

    Args:
        img (numpy.ndarray): ``(H, W, C)`` image.

    Returns:
        numpy.ndarray: ``(S, S, C)`` with ``S = min(H, W)``, a view.
    """
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return img[top:top + s, left:left + s]


def resize(img, size):
    """Resizes to ``size`` x ``size`` with a filter fit for the direction.

    Args:
        img (numpy.ndarray): uint8 ``(H, W, 3)``.
        size (int): Output height and width.

    Returns:
        numpy.ndarray: uint8 ``(size, size, 3)``.
    """
    if img.shape[0] == size and img.shape[1] == size:
        return img
    resample = Image.BICUBIC if size > img.shape[0] else Image.LANCZOS
    return numpy.asarray(Image.fromarray(img).resize((size, size), resample))


def random_flip(img, rng):
    """Mirrors a CHW image left-right with probability 1/2.

    Args:
        img (numpy.ndarray): CHW image (width is the last axis).
        rng (numpy.random.RandomState): Source of the coin flip.

    Returns:
        numpy.ndarray: The image or its mirror (a copy either way).
    """
    if rng.randint(2):
        return img[..., ::-1].copy()
    return img.copy()


def to_chw_float(img):
    """uint8 ``(H, W, 3)`` in [0, 255] -> float32 ``(3, H, W)`` in [-1, 1]."""
    return (img.astype(numpy.float32).transpose(2, 0, 1) / 127.5) - 1.


def from_chw_float(img):
    """float32 ``(3, H, W)`` in [-1, 1] -> uint8 ``(H, W, 3)``."""
    img = numpy.clip((numpy.asarray(img) + 1.) * 127.5 + 0.5, 0, 255)
    return img.astype(numpy.uint8).transpose(1, 2, 0)


def center_crop(img, size):
    """Crops a centred ``size`` x ``size`` square (CelebA's convention).

    Args:
        img (numpy.ndarray): ``(H, W, C)`` image.
        size (int): Side of the square.

    Returns:
        numpy.ndarray: ``(size, size, C)``, a view.

    Raises:
        ValueError: The image is smaller than ``size`` in either direction.
    """
    h, w = img.shape[:2]
    if h < size or w < size:
        raise ValueError('{} x {} pixels is smaller than the {} x {} crop'
                         .format(w, h, size, size))
    top, left = (h - size) // 2, (w - size) // 2
    return img[top:top + size, left:left + size]


def crop_box(img, box):
    """Crops a box that may reach past the borders, repeating edge pixels.

    Args:
        img (numpy.ndarray): ``(H, W, C)`` image.
        box (tuple of int): ``(top, left, bottom, right)``, bottom and right
            exclusive; any of them may lie outside the image.

    Returns:
        numpy.ndarray: ``(bottom - top, right - left, C)``, a copy.
    """
    h, w = img.shape[:2]
    top, left, bottom, right = (int(v) for v in box)
    if bottom <= top or right <= left:
        raise ValueError('empty crop box {}'.format(box))
    inner = img[max(top, 0):min(bottom, h), max(left, 0):min(right, w)]
    if inner.size == 0:
        raise ValueError('crop box {} lies outside the {} x {} image'
                         .format(box, w, h))
    pad = ((max(-top, 0), max(bottom - h, 0)),
           (max(-left, 0), max(right - w, 0))) + ((0, 0),) * (img.ndim - 2)
    return numpy.pad(inner, pad, mode='edge')
