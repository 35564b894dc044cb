"""Differentiable augmentation of the images a discriminator sees
(DiffAugment, Zhao et al. 2020): on small datasets D memorises the real
images; translating, cutting out (and optionally re-colouring) real and fake
images alike, with chainer functions so that G's gradients pass through,
keeps it from doing so without teaching G the augmentations.

Random parameters are drawn on the host from a given
``numpy.random.RandomState`` (:meth:`DiffAugment.draw`), so a caller that
saves that stream with its snapshots resumes exactly, and are applied on the
images' device in one vectorised pass (:meth:`DiffAugment.__call__`).
"""
import numpy

import chainer
from chainer import function_node
import chainer.functions as F

#: Augmentations in the order they are applied (a policy is a subset).
KINDS = ('color', 'translation', 'cutout')


def parse_policy(text):
    """Reads a policy such as ``'translation,cutout'`` (``'none'``: empty).

    Args:
        text (str): Comma-separated names of :data:`KINDS`, or ``none``.

    Returns:
        tuple of str: The names in :data:`KINDS` order, without repeats.

    Raises:
        ValueError: An unknown name; the message lists the valid ones.
    """
    names = [n.strip() for n in str(text).split(',') if n.strip()]
    if names in ([], ['none']):
        return ()
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise ValueError('unknown augmentation {}; write none or a comma-'
                         'separated list of {}'.format(
                             ', '.join(repr(n) for n in unknown),
                             ', '.join(KINDS)))
    return tuple(k for k in KINDS if k in names)


def _shifted(x, shift):
    """``y[n, :, i, j] = x[n, :, i - dy, j - dx]``, 0 outside (arrays)."""
    xp = chainer.backend.get_array_module(x)
    n, c, h, w = x.shape
    rows = xp.arange(h)[None] - shift[:, :1]  # (N, H) source rows
    cols = xp.arange(w)[None] - shift[:, 1:]  # (N, W) source columns
    inside = (((rows >= 0) & (rows < h))[:, None, :, None]
              & ((cols >= 0) & (cols < w))[:, None, None, :])
    y = x[xp.arange(n)[:, None, None, None], xp.arange(c)[None, :, None, None],
          xp.clip(rows, 0, h - 1)[:, None, :, None],
          xp.clip(cols, 0, w - 1)[:, None, None, :]]
    return xp.where(inside, y, xp.zeros((), x.dtype))


class Translate(function_node.FunctionNode):
    """Integer shift of each image with zero fill; its adjoint (the
    gradient) is the opposite shift, so backward is one more gather and no
    scatter-add."""

    def __init__(self, shift):
        self.shift = shift

    def forward(self, inputs):
        return _shifted(inputs[0], self.shift),

    def backward(self, indexes, grad_outputs):
        return Translate(-self.shift).apply(grad_outputs)


def translate(x, shift):
    """Shifts each image by whole pixels, filling with zeros.

    Args:
        x (~chainer.Variable or array): float ``(N, C, H, W)``.
        shift (array): int32 ``(N, 2)`` on ``x``'s device: ``(dy, dx)``
            per image; positive moves the content down / right.

    Returns:
        ~chainer.Variable: float ``(N, C, H, W)``, ``x[n, :, i - dy, j -
        dx]`` where that lies inside the image and 0 elsewhere (as
        ``numpy.roll`` with the wrapped rows and columns set to 0).
    """
    y, = Translate(shift).apply((x,))
    return y


def cutout_mask(corner, size, shape, dtype):
    """1 everywhere but one ``size x size`` square per image.

    Args:
        corner (array): int32 ``(N, 2)`` top-left ``(row, column)`` of each
            square (may lie partly outside the image, which clips it).
        size (int): Side of the squares in pixels.
        shape (tuple): ``(N, C, H, W)`` of the images.
        dtype: Of the mask.

    Returns:
        array: ``(N, 1, H, W)`` of 0 inside the squares, 1 outside.
    """
    xp = chainer.backend.get_array_module(corner)
    _, _, h, w = shape
    rows, cols = xp.arange(h)[None], xp.arange(w)[None]
    in_rows = (rows >= corner[:, :1]) & (rows < corner[:, :1] + size)
    in_cols = (cols >= corner[:, 1:]) & (cols < corner[:, 1:] + size)
    hole = in_rows[:, None, :, None] & in_cols[:, None, None, :]
    return (~hole).astype(dtype)


def color(x, brightness, saturation, contrast):
    """DiffAugment's colour jitter on images in [-1, 1].

    Adds ``brightness - 0.5``; scales each pixel's distance from its
    channel mean by ``2 * saturation``; scales each image's distance from
    its mean by ``contrast + 0.5``.

    Args:
        x (~chainer.Variable or array): float ``(N, C, H, W)``.
        brightness (array): ``(N, 1, 1, 1)`` in [0, 1).
        saturation (array): ``(N, 1, 1, 1)`` in [0, 1).
        contrast (array): ``(N, 1, 1, 1)`` in [0, 1).

    Returns:
        ~chainer.Variable: float ``(N, C, H, W)``.
    """
    x = x + F.broadcast_to(brightness - 0.5, x.shape)
    mean = F.broadcast_to(F.mean(x, axis=1, keepdims=True), x.shape)
    x = (x - mean) * F.broadcast_to(saturation * 2, x.shape) + mean
    mean = F.broadcast_to(F.mean(x, axis=(1, 2, 3), keepdims=True), x.shape)
    return (x - mean) * F.broadcast_to(contrast + 0.5, x.shape) + mean


class DiffAugment(object):
    """A policy of differentiable augmentations.

    Args:
        policy (str or sequence of str): ``'translation,cutout'``-style
            text or names from :data:`KINDS` (see :func:`parse_policy`).
        translation_ratio (float): Largest shift as a fraction of the image
            side (rounded): each image moves by up to ``r = round(ratio *
            S)`` pixels each way, uniformly in ``[-r, r]``.
        cutout_ratio (float): Side of the zeroed square as a fraction of
            the image side, ``round(ratio * S)``; its centre is uniform
            over the image, so it is clipped near the borders.

    Attributes:
        kinds (tuple of str): What is applied, in order.
    """

    def __init__(self, policy, translation_ratio=0.125, cutout_ratio=0.5):
        self.kinds = parse_policy(policy) if isinstance(policy, str) \
            else parse_policy(','.join(policy))
        self.translation_ratio = translation_ratio
        self.cutout_ratio = cutout_ratio

    def __bool__(self):
        return bool(self.kinds)

    def cutout_size(self, size):
        """Side of the cutout square for ``size`` px images."""
        return int(size * self.cutout_ratio + 0.5)

    def draw(self, rng, n, size):
        """Draws the random parameters of ``n`` images, always in the same
        order from ``rng``.

        Args:
            rng (numpy.random.RandomState): The stream.
            n (int): Images.
            size (int): Their side S.

        Returns:
            dict: numpy arrays with ``n`` rows: ``brightness``,
            ``saturation``, ``contrast`` float32 ``(n, 1, 1, 1)``,
            ``shift`` and ``corner`` int32 ``(n, 2)``, for the kinds used.
        """
        out = {}
        if 'color' in self.kinds:
            for name in ('brightness', 'saturation', 'contrast'):
                out[name] = rng.uniform(size=(n, 1, 1, 1)).astype(
                    numpy.float32)
        if 'translation' in self.kinds:
            r = int(size * self.translation_ratio + 0.5)
            out['shift'] = rng.randint(-r, r + 1, (n, 2)).astype(numpy.int32)
        if 'cutout' in self.kinds:
            s = self.cutout_size(size)
            centre = rng.randint(0, size + (1 - s % 2), (n, 2))
            out['corner'] = (centre - s // 2).astype(numpy.int32)
        return out

    def __call__(self, x, draws):
        """Augments a batch.

        Args:
            x (~chainer.Variable or array): float32 ``(N, C, S, S)`` in
                [-1, 1].
            draws (dict): From :meth:`draw`, arrays on ``x``'s device.

        Returns:
            ~chainer.Variable: float32 ``(N, C, S, S)``, differentiable with
            respect to ``x``.
        """
        x = chainer.as_variable(x)
        if 'color' in self.kinds:
            x = color(x, draws['brightness'], draws['saturation'],
                      draws['contrast'])
        if 'translation' in self.kinds:
            x = translate(x, draws['shift'])
        if 'cutout' in self.kinds:
            mask = cutout_mask(draws['corner'], self.cutout_size(x.shape[-1]),
                               x.shape, x.dtype)
            x = x * F.broadcast_to(mask, x.shape)
        return x
