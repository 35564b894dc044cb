"""Editing pictures with a trained generator: the paste-back maths.

Pure functions on arrays; reading, detecting and writing pictures lives in
:mod:`faceapp.translation`, label specs in :mod:`stargan.labels.specs`.
"""

import numpy


def feather_widths(box, height, width, feather):
    """Feather width of each side of a paste box, in pixels.

    A side lying on or past the picture border needs no feathering (there
    is no seam to hide), so it gets 0 and keeps the translation up to it.

    Args:
        box (tuple of int): ``(top, left, bottom, right)``, exclusive ends.
        height (int): Picture height.
        width (int): Picture width.
        feather (float): Width as a fraction of the box side.

    Returns:
        tuple of int: ``(top, left, bottom, right)`` widths.
    """
    top, left, bottom, right = box
    px = int(round(feather * min(bottom - top, right - left)))
    return (px if top > 0 else 0, px if left > 0 else 0,
            px if bottom < height else 0, px if right < width else 0)


def _ramp(n, first, last):
    """Raised-cosine weights along one axis: 0 -> 1 over ``first`` pixels,
    1 -> 0 over ``last``."""
    d = numpy.arange(n, dtype=numpy.float64) + 0.5
    w = numpy.ones(n)
    for dist, width in ((d, first), (n - d, last)):
        if width > 0:
            w = numpy.minimum(w, 0.5 - 0.5 * numpy.cos(
                numpy.pi * numpy.clip(dist / width, 0, 1)))
    return w


def feather_mask(height, width, widths):
    """A rectangle of ones fading to zero at its sides (raised cosine).

    Args:
        height (int): Mask height.
        width (int): Mask width.
        widths (tuple of int): ``(top, left, bottom, right)`` fade widths in
            pixels; 0 keeps that side hard.

    Returns:
        numpy.ndarray: float32 ``(height, width)`` in (0, 1].
    """
    top, left, bottom, right = widths
    return numpy.outer(_ramp(height, top, bottom),
                       _ramp(width, left, right)).astype(numpy.float32)


def paste(picture, patch, box, mask):
    """Blends a patch into a picture: ``picture + mask * (patch - picture)``.

    Pixels outside the box, and where the mask is 0, stay bit-identical.

    Args:
        picture (numpy.ndarray): uint8 ``(H, W, 3)``.
        patch (numpy.ndarray): uint8 ``(h, w, 3)`` for the whole box, which
            may reach past the picture (that part is dropped).
        box (tuple of int): ``(top, left, bottom, right)`` with
            ``bottom - top == h`` and ``right - left == w``.
        mask (numpy.ndarray): float32 ``(h, w)`` weights of the patch.

    Returns:
        numpy.ndarray: uint8 ``(H, W, 3)``, a new array.
    """
    out = numpy.array(picture, copy=True)
    h, w = picture.shape[:2]
    top, left, bottom, right = box
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(bottom, h), min(right, w)
    if y1 <= y0 or x1 <= x0:
        return out
    src = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
    a = picture[y0:y1, x0:x1].astype(numpy.float32)
    m = mask[src][:, :, None]
    blended = a + m * (patch[src].astype(numpy.float32) - a)
    out[y0:y1, x0:x1] = numpy.clip(numpy.rint(blended), 0, 255)
    return out
