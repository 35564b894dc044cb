"""Convolution and deconvolution with working double backprop and copy-free GEMM.

Why this module exists: in chainer 7.8.1 the CPU path of
``F.deconvolution_2d`` cannot be differentiated with respect to its filter
(``Deconvolution2DFunction.backward`` calls ``_set_cover_all`` with
Variables instead of shapes, raising "not enough values to unpack"), and the
gradient penalty of WGAN-GP needs exactly that derivative through every
strided convolution of the discriminator. Chainer's CPU convolution also
multiplies through ``numpy.tensordot``, which copies the whole im2col buffer
into a transposed layout before the GEMM.

The three nodes below form a closed triangle under differentiation, so any
order of derivative is available:

* ``Conv2D(x, W)``: ``y = conv(x, W)``
* ``Deconv2D(x, W)``: ``y = conv^T(x, W)`` (the adjoint of ``Conv2D`` in x)
* ``Conv2DGradW(x, gy)``: ``gW = d<conv(x, W), gy>/dW`` (bilinear in x, gy)

Each multiplies per sample on the contiguous im2col buffer, so no transposed
copy is made, and processes the batch in chunks so the buffer stays bounded
(a 7x7 convolution of 64 channels at 128 px would otherwise need gigabytes).
On CuPy, ``convolution_2d``/``deconvolution_2d`` hand over to chainer's own
cuDNN-backed functions, whose GPU path does not have the bug; pass
``use_stock=False`` to run this implementation on any device.
"""
import numpy

import chainer
import chainer.functions as F
from chainer import backend
from chainer import function_node
from chainer.utils import conv as conv_utils

#: Upper bound, in array elements, of one im2col buffer (64 Mi floats = 256 MB).
MAX_COL_ELEMENTS = 64 * 1024 * 1024


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _im2col(x, kh, kw, stride, pad):
    if backend.get_array_module(x) is numpy:
        return conv_utils.im2col_cpu(x, kh, kw, *stride, *pad)
    return conv_utils.im2col_gpu(x, kh, kw, *stride, *pad)


def _col2im(col, stride, pad, h, w):
    if backend.get_array_module(col) is numpy:
        return conv_utils.col2im_cpu(col, *stride, *pad, h, w)
    return conv_utils.col2im_gpu(col, *stride, *pad, h, w)


def _chunks(n, per_sample):
    """Yields slices of the batch whose im2col buffers fit MAX_COL_ELEMENTS."""
    step = max(1, MAX_COL_ELEMENTS // max(1, per_sample))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def _conv_forward(x, W, stride, pad):
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    out_c, _, kh, kw = W.shape
    oh = conv_utils.get_conv_outsize(h, kh, stride[0], pad[0])
    ow = conv_utils.get_conv_outsize(w, kw, stride[1], pad[1])
    w_mat = W.reshape(out_c, -1)
    y = xp.empty((n, out_c, oh * ow), dtype=x.dtype)
    for s in _chunks(n, w_mat.shape[1] * oh * ow):
        col = _im2col(x[s], kh, kw, stride, pad)
        xp.matmul(w_mat, col.reshape(col.shape[0], w_mat.shape[1], -1),
                  out=y[s])
    return y.reshape(n, out_c, oh, ow)


def _deconv_forward(x, W, stride, pad, outsize):
    xp = backend.get_array_module(x)
    n, in_c, h, w = x.shape
    _, out_c, kh, kw = W.shape
    w_t = W.reshape(in_c, -1).T
    y = xp.empty((n, out_c) + tuple(outsize), dtype=x.dtype)
    for s in _chunks(n, w_t.shape[0] * h * w):
        gcol = xp.matmul(w_t, x[s].reshape(x[s].shape[0], in_c, h * w))
        gcol = gcol.reshape(gcol.shape[0], out_c, kh, kw, h, w)
        y[s] = _col2im(gcol, stride, pad, *outsize)
    return y


def _grad_w_forward(x, gy, stride, pad, ksize):
    xp = backend.get_array_module(x)
    n = x.shape[0]
    out_c, oh, ow = gy.shape[1:]
    gw = xp.zeros((out_c, x.shape[1] * ksize[0] * ksize[1]), dtype=x.dtype)
    for s in _chunks(n, gw.shape[1] * oh * ow):
        col = _im2col(x[s], ksize[0], ksize[1], stride, pad)
        col = col.reshape(col.shape[0], gw.shape[1], oh * ow)
        gy_s = gy[s].reshape(col.shape[0], out_c, oh * ow)
        gw += xp.matmul(gy_s, col.transpose(0, 2, 1)).sum(axis=0)
    return gw.reshape(out_c, x.shape[1], *ksize)


class Conv2D(function_node.FunctionNode):
    """``y = conv(x, W)`` without bias; x (N, C, H, W), W (O, C, kh, kw)."""

    def __init__(self, stride, pad):
        self.stride, self.pad = _pair(stride), _pair(pad)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs
        self.x_hw = x.shape[2:]
        return _conv_forward(x, W, self.stride, self.pad),

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(Deconv2D(self.stride, self.pad, self.x_hw).apply(
                (gy, W))[0])
        if 1 in indexes:
            ret.append(Conv2DGradW(self.stride, self.pad, W.shape[2:]).apply(
                (x, gy))[0])
        return ret


class Deconv2D(function_node.FunctionNode):
    """Transposed convolution; x (N, in, h, w), W (in, out, kh, kw)."""

    def __init__(self, stride, pad, outsize):
        self.stride, self.pad = _pair(stride), _pair(pad)
        self.outsize = tuple(outsize)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs
        return _deconv_forward(x, W, self.stride, self.pad, self.outsize),

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(Conv2D(self.stride, self.pad).apply((gy, W))[0])
        if 1 in indexes:
            # <deconv(x, W), gy> = <x, conv(gy, W)>, so dW is conv's dW with
            # gy in the role of the input and x in the role of the output.
            ret.append(Conv2DGradW(self.stride, self.pad, W.shape[2:]).apply(
                (gy, x))[0])
        return ret


class Conv2DGradW(function_node.FunctionNode):
    """Filter gradient of ``conv``; x (N, C, H, W), gy (N, O, oh, ow)."""

    def __init__(self, stride, pad, ksize):
        self.stride, self.pad = _pair(stride), _pair(pad)
        self.ksize = tuple(ksize)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gy = inputs
        return _grad_w_forward(x, gy, self.stride, self.pad, self.ksize),

    def backward(self, indexes, grad_outputs):
        x, gy = self.get_retained_inputs()
        ggw, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(Deconv2D(self.stride, self.pad, x.shape[2:]).apply(
                (gy, ggw))[0])
        if 1 in indexes:
            ret.append(Conv2D(self.stride, self.pad).apply((x, ggw))[0])
        return ret


def _on_gpu(x):
    return backend.get_array_module(x) is not numpy


def convolution_2d(x, W, b=None, stride=1, pad=0, use_stock=None):
    """2-D convolution (cross-correlation) with double backprop on every device.

    Args:
        x (~chainer.Variable or array): Input, float32 ``(N, C, H, W)``.
        W (~chainer.Variable or array): Filter, float32 ``(O, C, kh, kw)``.
        b (~chainer.Variable or array): Optional bias, float32 ``(O,)``.
        stride (int or pair of ints): Stride.
        pad (int or pair of ints): Zero padding.
        use_stock (bool): Use ``chainer.functions.convolution_2d`` (cuDNN).
            ``None`` means: on GPU yes, on CPU no.

    Returns:
        ~chainer.Variable: float32 ``(N, O, oh, ow)`` with
        ``oh = (H + 2 * pad - kh) // stride + 1``.
    """
    if use_stock is None:
        use_stock = _on_gpu(x.array if isinstance(x, chainer.Variable) else x)
    if use_stock:
        return F.convolution_2d(x, W, b, stride, pad)
    y, = Conv2D(stride, pad).apply((x, W))
    return y if b is None else F.bias(y, b, axis=1)


def deconvolution_2d(x, W, b=None, stride=1, pad=0, outsize=None,
                     use_stock=None):
    """2-D transposed convolution with double backprop on every device.

    Args:
        x (~chainer.Variable or array): Input, float32 ``(N, I, h, w)``.
        W (~chainer.Variable or array): Filter, float32 ``(I, O, kh, kw)``
            (chainer's ``Deconvolution2D`` layout).
        b (~chainer.Variable or array): Optional bias, float32 ``(O,)``.
        stride (int or pair of ints): Stride.
        pad (int or pair of ints): Padding removed from the output.
        outsize (pair of ints): Output ``(H, W)``; by default
            ``stride * (h - 1) + k - 2 * pad``.
        use_stock (bool): As in :func:`convolution_2d`.

    Returns:
        ~chainer.Variable: float32 ``(N, O, H, W)``.
    """
    stride, pad = _pair(stride), _pair(pad)
    kh, kw = W.shape[2:]
    if outsize is None:
        outsize = tuple(conv_utils.get_deconv_outsize(s, k, st, p)
                        for s, k, st, p in zip(x.shape[2:], (kh, kw), stride,
                                               pad))
    if use_stock is None:
        use_stock = _on_gpu(x.array if isinstance(x, chainer.Variable) else x)
    if use_stock:
        return F.deconvolution_2d(x, W, b, stride, pad, outsize)
    y, = Deconv2D(stride, pad, outsize).apply((x, W))
    return y if b is None else F.bias(y, b, axis=1)
