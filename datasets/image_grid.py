"""Turning model outputs into labelled picture grids, and writing them safely.
"""
import os

import numpy
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from datasets import atomic


def to_uint8(images):
    """Converts images from the model's range to displayable pixels.

    Args:
        images (numpy.ndarray): float32 ``(N, 3, H, W)`` in [-1, 1].

    Returns:
        numpy.ndarray: uint8 ``(N, H, W, 3)``.
    """
    images = numpy.clip((numpy.asarray(images) + 1) * 127.5 + 0.5, 0, 255)
    return images.astype(numpy.uint8).transpose(0, 2, 3, 1)


def masks_to_uint8(masks):
    """Shows masks as grey pictures, 0 black and 1 white.

    Args:
        masks (numpy.ndarray): float32 ``(..., 1, H, W)`` in [0, 1].

    Returns:
        numpy.ndarray: uint8 ``(..., H, W, 3)``.
    """
    grey = numpy.clip(numpy.asarray(masks) * 255 + 0.5, 0, 255).astype(
        numpy.uint8)
    return numpy.repeat(numpy.moveaxis(grey, -3, -1), 3, axis=-1)


def tile_grid(cells, names, cell_size=64, pad=2):
    """Lays out a rows x columns grid of images under a header of names.

    Args:
        cells (numpy.ndarray): uint8 ``(R, C, H, W, 3)``.
        names (sequence of str): One caption per column (length C).
        cell_size (int): Each image is resized (nearest) to this many pixels
            square, so that 32 px samples stay visible.
        pad (int): Gap between cells, in pixels.

    Returns:
        PIL.Image.Image: The RGB grid.
    """
    rows, cols = cells.shape[:2]
    header = 14
    step = cell_size + pad
    canvas = Image.new('RGB', (cols * step + pad, header + rows * step + pad),
                       (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for c, name in enumerate(names):
        draw.text((pad + c * step + 2, 1), str(name)[:cell_size // 6],
                  fill=(0, 0, 0), font=font)
        for r in range(rows):
            img = Image.fromarray(cells[r, c]).resize((cell_size, cell_size),
                                                      Image.NEAREST)
            canvas.paste(img, (pad + c * step, header + pad + r * step))
    return canvas


def save_image_atomic(image, path):
    """Writes a PIL image so that ``path`` is never left half-written.

    Args:
        image (PIL.Image.Image): The picture.
        path (str): Destination; its extension picks the format.
    """
    with atomic.atomic_open(path) as f:
        image.save(f, format=_format_of(path))


def _format_of(path):
    ext = os.path.splitext(path)[1].lower()
    return {'.jpg': 'JPEG', '.jpeg': 'JPEG', '.gif': 'GIF'}.get(ext, 'PNG')
