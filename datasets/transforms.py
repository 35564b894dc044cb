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
