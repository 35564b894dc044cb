"""Per-sample GEMMs for :mod:`stargan.conv.functions`
(the ``'sample'`` layout of :func:`stargan.conv.choice.settings`).

chainer's im2col and col2im with one GEMM per sample: used where a sample
has enough output positions for its GEMM to run near the BLAS peak, and
kept whole for comparisons (``bench.py --formulation per-sample``).
Array-level, numpy or CuPy; shapes as in :mod:`stargan.conv.gemm`.
"""
import numpy

from chainer import backend
from chainer.utils import conv as conv_utils

from stargan.conv import cpu_threads

from stargan.conv.gemm import chunks
from stargan.conv.gemm import conv_outsize


def _im2col(x, kh, kw, stride, pad):
    if backend.get_array_module(x) is numpy:
        return conv_utils.im2col_cpu(x, kh, kw, *stride, *pad)
    return conv_utils.im2col_gpu(x, kh, kw, *stride, *pad)


def _col2im(col, stride, pad, h, w):
    if backend.get_array_module(col) is numpy:
        return conv_utils.col2im_cpu(col, *stride, *pad, h, w)
    return conv_utils.col2im_gpu(col, *stride, *pad, h, w)


def conv_im2col(x, W, stride, pad):
    """As :func:`stargan.conv.gemm.conv_im2col`, with one GEMM per sample."""
    xp = backend.get_array_module(x)
    n, _, h, w = x.shape
    out_c, _, kh, kw = W.shape
    oh, ow = conv_outsize((h, w), (kh, kw), stride, pad)
    w_mat = W.reshape(out_c, -1)
    y = xp.empty((n, out_c, oh * ow), dtype=x.dtype)
    for s in chunks(n, w_mat.shape[1] * oh * ow, xp):
        col = _im2col(x[s], kh, kw, stride, pad)
        cpu_threads.matmul(
            w_mat, col.reshape(col.shape[0], w_mat.shape[1], -1), out=y[s])
    return y.reshape(n, out_c, oh, ow)


def deconv_col2im(x, W, stride, pad, outsize):
    """As :func:`stargan.conv.gemm.deconv_col2im`, with one GEMM per sample."""
    xp = backend.get_array_module(x)
    n, in_c, h, w = x.shape
    _, out_c, kh, kw = W.shape
    w_t = W.reshape(in_c, -1).T
    y = xp.empty((n, out_c) + tuple(outsize), dtype=x.dtype)
    for s in chunks(n, w_t.shape[0] * h * w, xp):
        gcol = cpu_threads.matmul(
            w_t, x[s].reshape(x[s].shape[0], in_c, h * w))
        gcol = gcol.reshape(gcol.shape[0], out_c, kh, kw, h, w)
        y[s] = _col2im(gcol, stride, pad, *outsize)
    return y


def grad_w_im2col(x, gy, stride, pad, ksize):
    """As :func:`stargan.conv.gemm.grad_w_im2col`, with one GEMM per sample
    (and a ``(N, O, C * kh * kw)`` temporary summed over the batch)."""
    xp = backend.get_array_module(x)
    n = x.shape[0]
    out_c, oh, ow = gy.shape[1:]
    gw = xp.zeros((out_c, x.shape[1] * ksize[0] * ksize[1]), dtype=x.dtype)
    for s in chunks(n, gw.shape[1] * oh * ow, xp):
        col = _im2col(x[s], ksize[0], ksize[1], stride, pad)
        col = col.reshape(col.shape[0], gw.shape[1], oh * ow)
        gy_s = gy[s].reshape(col.shape[0], out_c, oh * ow)
        gw += xp.matmul(gy_s, col.transpose(0, 2, 1)).sum(axis=0)
    return gw.reshape(out_c, x.shape[1], *ksize)
