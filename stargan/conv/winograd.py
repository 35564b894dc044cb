"""Winograd's minimal filtering F(4x4, 3x3) for :mod:`stargan.conv.functions`.

3x3 stride-1 convolutions (the generator's residual blocks) computed with
36 multiplications per 4x4 output tile and channel pair instead of im2col's
144 (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
2016). Array-level, numpy or CuPy.
"""
import weakref

import numpy

from chainer import backend

from stargan.conv import cpu_threads

from stargan.conv.gemm import chunks
from stargan.conv.gemm import conv_outsize
from stargan.conv.gemm import padded

# A 6x6 input tile d and a 3x3 filter g give the 4x4 output tile
# A^T [(G g G^T) * (B^T d B)] A.
_WINO_BT = numpy.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0],
                        [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
                        [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], float)
_WINO_G = numpy.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6],
                       [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6],
                       [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]])
_WINO_AT = numpy.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0],
                        [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], float)


def _kron_square(xp, m, dtype):
    """The 2-D transform ``M t M^T`` of a tile as one matrix on its
    flattened values."""
    return xp.asarray(numpy.kron(m, m), dtype=dtype)


#: Transformed filters kept by :func:`transformed_filter` for reuse:
#: ``id(W) -> (weak reference to W, copy of W, transformed W)``.
_KEPT = {}


def transformed_filter(W, reuse=False):
    """``G g G^T`` of every 3x3 filter g of W: ``(36, O, C)``.

    For one image, transforming the filter costs a sixth of the convolution
    (the paper's residual blocks: 1 of 6 ms), so inference can keep it.
    Parameters are updated in place, so W's identity says nothing about its
    values: a kept transform is given back only while W still equals the
    copy kept with it (a comparison costs a tenth of the transform), and is
    dropped with W.

    Args:
        W: ``(O, C, 3, 3)`` filter.
        reuse (bool): Keep the result, and reuse a kept one (numpy only).

    Returns:
        ``(36, O, C)`` array of W's dtype.
    """
    xp = backend.get_array_module(W)
    reuse = reuse and xp is numpy
    kept = _KEPT.get(id(W)) if reuse else None
    if kept is not None and kept[0]() is W and numpy.array_equal(kept[1], W):
        return kept[2]
    o, c = W.shape[:2]
    kg = _kron_square(xp, _WINO_G, W.dtype)
    u = xp.matmul(kg, W.reshape(o * c, 9).T).reshape(36, o, c)
    if reuse:
        key = id(W)
        _KEPT[key] = (weakref.ref(W, lambda _: _KEPT.pop(key, None)),
                      W.copy(), u)
    return u


def _winograd_tiles(out_hw):
    """Tiles (rows, columns) of 4x4 covering an output of size out_hw."""
    return -(-out_hw[0] // 4), -(-out_hw[1] // 4)


def _winograd_inputs(x, pad, tiles):
    """``B^T d B`` of every 6x6 input tile d: ``(36, C, N * th * tw)``.

    Computed by blocks of channels, at once on the CPU's threads inside
    :func:`stargan.conv.cpu_threads.splitting`: gathering the tiles is a
    copy as long as the transform's GEMM.
    """
    xp = backend.get_array_module(x)
    (th, tw), (n, c) = tiles, x.shape[:2]
    xpad = padded(x, pad, (4 * th + 2, 4 * tw + 2), channel_major=True)
    kb = _kron_square(xp, _WINO_BT, x.dtype)
    v = xp.empty((36, c, n * th * tw), dtype=x.dtype)

    def block(lo, hi):
        d = xp.empty((6, 6, hi - lo, n, th, tw), dtype=x.dtype)
        for i in range(6):
            for j in range(6):
                d[i, j] = xpad[lo:hi, :, i:i + 4 * th:4, j:j + 4 * tw:4]
        xp.matmul(kb, d.reshape(36, -1), out=v[:, lo:hi].reshape(36, -1))
    cpu_threads.for_blocks(c, block, 36 * v.size, xp=xp)
    return v


def _winograd_outputs(prod, y, oh, ow):
    """``y = A^T m A`` of every tile's product m ``(36, O, N * th * tw)``,
    cropped to ``(N, O, oh, ow)``; by blocks of channels as the inputs."""
    xp = backend.get_array_module(prod)
    ka = _kron_square(xp, _WINO_AT, prod.dtype)
    (m, o), (th, tw) = (y.shape[0], prod.shape[1]), _winograd_tiles((oh, ow))

    def block(lo, hi):
        t = xp.matmul(ka, prod[:, lo:hi].reshape(36, -1))
        t = t.reshape(4, 4, hi - lo, m, th, tw).transpose(3, 2, 4, 0, 5, 1)
        y[:, lo:hi] = t.reshape(m, hi - lo, 4 * th, 4 * tw)[:, :, :oh, :ow]
    cpu_threads.for_blocks(o, block, 16 * prod.size, xp=xp)


def conv(x, W, pad, reuse_filter=False):
    """3x3 stride-1 convolution by Winograd's F(4x4, 3x3).

    Each 4x4 output tile costs 36 multiplications per channel pair instead
    of im2col's 144: the input's 6x6 tiles and the filters are transformed
    (small GEMMs on memory), multiplied in 36 GEMMs of depth C, and the
    products transformed back. float32 results differ from im2col's by
    about 1e-5 of the output's scale.

    Args:
        x: ``(N, C, H, W)``.
        W: ``(O, C, 3, 3)``.
        pad (pair of ints): Zero padding.
        reuse_filter (bool): Keep W's transform for later calls
            (:func:`transformed_filter`); for inference.

    Returns:
        ``(N, O, oh, ow)`` array of x's dtype.
    """
    xp = backend.get_array_module(x)
    n, c = x.shape[:2]
    o = W.shape[0]
    oh, ow = conv_outsize(x.shape[2:], (3, 3), (1, 1), pad)
    th, tw = _winograd_tiles((oh, ow))
    u = transformed_filter(W, reuse_filter)
    y = xp.empty((n, o, oh, ow), dtype=x.dtype)
    # Chunks of 36 * channels * tiles (7 samples of the paper's residual
    # blocks) measured fastest, for this and grad_w.
    for s in chunks(n, 36 * max(c, o) * th * tw, xp):
        v = _winograd_inputs(x[s], pad, (th, tw))
        _winograd_outputs(cpu_threads.matmul(u, v), y[s], oh, ow)
    return y


def grad_w(x, gy, pad):
    """Filter gradient of a 3x3 stride-1 convolution by Winograd.

    The adjoint of :func:`conv` in the filter: per tile,
    ``G^T [(B^T d B) * (A gy A^T)] G``, summed over the tiles by 36 GEMMs
    of depth N * tiles.

    Args:
        x: ``(N, C, H, W)``.
        gy: ``(N, O, oh, ow)``.
        pad (pair of ints): Zero padding.

    Returns:
        ``(O, C, 3, 3)`` array of x's dtype.
    """
    xp = backend.get_array_module(x)
    n, c = x.shape[:2]
    o, oh, ow = gy.shape[1:]
    th, tw = _winograd_tiles((oh, ow))
    ka_t = _kron_square(xp, _WINO_AT, x.dtype).T
    acc = xp.zeros((36, o, c), dtype=x.dtype)
    for s in chunks(n, 36 * max(c, o) * th * tw, xp):
        m = s.stop - s.start
        v = _winograd_inputs(x[s], pad, (th, tw))
        g = padded(gy[s], (0, 0), (4 * th, 4 * tw), channel_major=True)
        g = g.reshape(o, m, th, 4, tw, 4).transpose(3, 5, 0, 1, 2, 4)
        z = xp.matmul(ka_t, g.reshape(16, -1)).reshape(36, o, -1)
        acc += xp.matmul(z, v.transpose(0, 2, 1))
    kg_t = _kron_square(xp, _WINO_G, x.dtype).T
    gw = xp.matmul(kg_t, acc.reshape(36, -1)).reshape(3, 3, o, c)
    return xp.ascontiguousarray(gw.transpose(2, 3, 0, 1))
