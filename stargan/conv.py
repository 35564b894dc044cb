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

Each node has two equivalent computations, and picks per call the one whose
temporary buffer is smaller (see :data:`FORMULATION`):

* *input side*: im2col on the input, then one GEMM; the buffer holds
  ``C_in * kh * kw`` values per output position.
* *output side*: GEMM first on the (padded) input, then a shift-and-add over
  the ``kh * kw`` kernel offsets on the output side; the buffer holds
  ``C_out * kh * kw`` values per (padded) input position.

The output side wins by a factor of about ``C_in / C_out`` for layers with
few output channels, such as the generator's last 7x7 convolution to RGB
(64 -> 3 channels in the paper): its forward, its input gradient (a
transposed convolution *from* 3 channels) and its filter gradient would
otherwise each build a ``64 * 49 * H * W`` buffer to produce or consume only
3 channels.
"""
import numpy

import chainer
import chainer.functions as F
from chainer import backend
from chainer import function_node
from chainer.utils import conv as conv_utils

#: Upper bound, in array elements, of one im2col (or shift-and-add) buffer
#: (64 Mi floats = 256 MB); larger batches are processed in chunks.
MAX_COL_ELEMENTS = 64 * 1024 * 1024

#: Which computation the nodes use: ``'auto'`` picks per call the one with the
#: smaller temporary buffer; ``'im2col'`` is the fixed choice this module made
#: before (im2col for the convolution and the filter gradient, GEMM then
#: col2im for the transposed convolution), kept for comparisons
#: (``bench.py --compare-conv``); ``'swapped'`` forces the other computation
#: wherever one exists (the transposed convolution has one only at stride 1),
#: for tests.
FORMULATION = 'auto'
_FORMULATIONS = ('auto', 'im2col', 'swapped')


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


def _conv_im2col(x, W, stride, pad):
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


def _deconv_col2im(x, W, stride, pad, outsize):
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


def _grad_w_im2col(x, gy, stride, pad, ksize):
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


def _padded(x, pad, size, channel_major=False):
    """Zero-pads (or, for a negative pad, crops) x's spatial axes.

    Args:
        x: ``(N, C, H, W)`` array.
        pad (pair of ints): Rows/columns added before the first one; negative
            values drop rows/columns instead.
        size (pair of ints): Spatial size of the result; rows/columns past
            the padded input are zeros, those beyond ``size`` are dropped.
        channel_major (bool): Return ``(C, N, Hn, Wn)`` instead of
            ``(N, C, Hn, Wn)``, so that one GEMM spans the whole batch.

    Returns:
        A new contiguous array of x's dtype.
    """
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    shape = (c, n) + tuple(size) if channel_major else (n, c) + tuple(size)
    out = xp.zeros(shape, dtype=x.dtype)
    src, dst = [], []
    for p, length, full in zip(pad, (h, w), size):
        d0, s0 = max(0, p), max(0, -p)
        m = max(0, min(full - d0, length - s0))
        src.append(slice(s0, s0 + m))
        dst.append(slice(d0, d0 + m))
    if channel_major:
        x = x.transpose(1, 0, 2, 3)
    out[:, :, dst[0], dst[1]] = x[:, :, src[0], src[1]]
    return out


def _span(stride, out_len):
    """Rows of the padded input that one kernel offset reads: ``(o-1)*s+1``."""
    return stride * (out_len - 1) + 1


def _conv_shift(x, W, stride, pad):
    """Convolution as GEMM on the padded input, then shift-and-add.

    ``Q[o, u, v] = sum_c W[o, c, u, v] * x_pad[c]`` for every kernel offset
    ``(u, v)``, then ``y[o] = sum_{u, v} Q[o, u, v][u::s, v::s]``; the
    buffer Q holds ``O * kh * kw`` values per padded input position.
    """
    xp = backend.get_array_module(x)
    n, c = x.shape[:2]
    out_c, _, kh, kw = W.shape
    oh, ow = _conv_outsize(x.shape[2:], (kh, kw), stride, pad)
    sh, sw = _span(stride[0], oh), _span(stride[1], ow)
    hn, wn = sh + kh - 1, sw + kw - 1  # padded rows/columns actually read
    w_mat = W.transpose(0, 2, 3, 1).reshape(out_c * kh * kw, c)
    y = xp.empty((n, out_c, oh, ow), dtype=x.dtype)
    for s in _chunks(n, w_mat.shape[0] * hn * wn):
        xpad = _padded(x[s], pad, (hn, wn), channel_major=True)
        m = xpad.shape[1]
        q = xp.matmul(w_mat, xpad.reshape(c, -1)).reshape(
            out_c, kh, kw, m, hn, wn)
        acc = q[:, 0, 0, :, 0:sh:stride[0], 0:sw:stride[1]].copy()
        for u in range(kh):
            for v in range(kw):
                if u or v:
                    acc += q[:, u, v, :, u:u + sh:stride[0],
                             v:v + sw:stride[1]]
        y[s] = acc.transpose(1, 0, 2, 3)
    return y


def _deconv_im2col(x, W, pad, outsize):
    """Stride-1 transposed convolution as a convolution of the input.

    At stride 1, ``conv^T(x, W)`` is the convolution of x, padded by
    ``k - 1 - pad``, with W flipped in space and its channel axes swapped;
    its im2col buffer holds ``I * kh * kw`` values per output position.
    """
    kh, kw = W.shape[2:]
    w_flip = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    w_flip = backend.get_array_module(W).ascontiguousarray(w_flip)
    q = (kh - 1 - pad[0], kw - 1 - pad[1])
    size = (outsize[0] + kh - 1, outsize[1] + kw - 1)
    # The padded copy is as small as x; _conv_im2col chunks the big buffer.
    return _conv_im2col(_padded(x, q, size), w_flip, (1, 1), (0, 0))


def _grad_w_shift(x, gy, stride, pad, ksize):
    """Filter gradient as shifted copies of gy times the padded input.

    gy is scattered into ``kh * kw`` zero canvases of the padded input's
    size, canvas ``(u, v)`` holding ``gy`` at rows ``u + s * i`` and columns
    ``v + s * j``; then ``gW[o, c, u, v] = <canvas[o, u, v], x_pad[c]>`` is
    one GEMM over the batch and all positions. The canvases hold
    ``O * kh * kw`` values per padded input position.
    """
    xp = backend.get_array_module(x)
    n, c = x.shape[:2]
    out_c, oh, ow = gy.shape[1:]
    kh, kw = ksize
    sh, sw = _span(stride[0], oh), _span(stride[1], ow)
    hn, wn = sh + kh - 1, sw + kw - 1
    gw = xp.zeros((out_c * kh * kw, c), dtype=x.dtype)
    for s in _chunks(n, out_c * kh * kw * hn * wn):
        m = s.stop - s.start
        canvas = xp.zeros((out_c, kh, kw, m, hn, wn), dtype=x.dtype)
        gy_t = gy[s].transpose(1, 0, 2, 3)
        for u in range(kh):
            for v in range(kw):
                canvas[:, u, v, :, u:u + sh:stride[0],
                       v:v + sw:stride[1]] = gy_t
        xpad = _padded(x[s], pad, (hn, wn), channel_major=True)
        gw += xp.matmul(canvas.reshape(gw.shape[0], -1),
                        xpad.reshape(c, -1).T)
    return xp.ascontiguousarray(
        gw.reshape(out_c, kh, kw, c).transpose(0, 3, 1, 2))


def _conv_outsize(hw, ksize, stride, pad):
    return tuple(conv_utils.get_conv_outsize(s, k, st, p)
                 for s, k, st, p in zip(hw, ksize, stride, pad))


def _formulation():
    if FORMULATION not in _FORMULATIONS:
        raise ValueError('conv.FORMULATION must be one of {}, not {!r}'.format(
            ', '.join(_FORMULATIONS), FORMULATION))
    return FORMULATION


def _use_shift(in_side, out_side):
    """Whether to take the output-side computation given both buffer sizes."""
    mode = _formulation()
    if mode == 'auto':
        return out_side < in_side
    return mode == 'swapped'


def conv_uses_shift(x_shape, w_shape, stride, pad):
    """Whether :class:`Conv2D` takes the GEMM-then-shift-and-add path.

    Args:
        x_shape (tuple): ``(N, C, H, W)``.
        w_shape (tuple): ``(O, C, kh, kw)``.
        stride (pair of ints): Stride.
        pad (pair of ints): Padding.

    Returns:
        bool: True for the output-side computation, False for im2col.
    """
    out_c, c, kh, kw = w_shape
    oh, ow = _conv_outsize(x_shape[2:], (kh, kw), stride, pad)
    padded = ((_span(stride[0], oh) + kh - 1)
              * (_span(stride[1], ow) + kw - 1))
    return _use_shift(c * kh * kw * oh * ow, out_c * kh * kw * padded)


def deconv_uses_im2col(x_shape, w_shape, stride, pad, outsize):
    """Whether :class:`Deconv2D` convolves its input instead of using col2im.

    Only at stride 1; other strides would need a dilated input.

    Args:
        x_shape (tuple): ``(N, I, h, w)``.
        w_shape (tuple): ``(I, O, kh, kw)``.
        stride (pair of ints): Stride.
        pad (pair of ints): Padding.
        outsize (pair of ints): Output ``(H, W)``.

    Returns:
        bool: True for im2col on the input, False for GEMM then col2im.
    """
    in_c, out_c, kh, kw = w_shape
    h, w = x_shape[2:]
    if tuple(stride) != (1, 1) or tuple(outsize) != (
            h + kh - 1 - 2 * pad[0], w + kw - 1 - 2 * pad[1]):
        return False
    return _use_shift(out_c * kh * kw * h * w,
                      in_c * kh * kw * outsize[0] * outsize[1])


def grad_w_uses_shift(x_shape, gy_shape, stride, pad, ksize):
    """Whether :class:`Conv2DGradW` scatters gy instead of using im2col.

    Args:
        x_shape (tuple): ``(N, C, H, W)``.
        gy_shape (tuple): ``(N, O, oh, ow)``.
        stride (pair of ints): Stride.
        pad (pair of ints): Padding.
        ksize (pair of ints): ``(kh, kw)``.

    Returns:
        bool: True for the output-side computation, False for im2col.
    """
    out_c, oh, ow = gy_shape[1:]
    kh, kw = ksize
    padded = ((_span(stride[0], oh) + kh - 1)
              * (_span(stride[1], ow) + kw - 1))
    return _use_shift(x_shape[1] * kh * kw * oh * ow,
                      out_c * kh * kw * padded)


def _conv_forward(x, W, stride, pad):
    if conv_uses_shift(x.shape, W.shape, stride, pad):
        return _conv_shift(x, W, stride, pad)
    return _conv_im2col(x, W, stride, pad)


def _deconv_forward(x, W, stride, pad, outsize):
    if deconv_uses_im2col(x.shape, W.shape, stride, pad, outsize):
        return _deconv_im2col(x, W, pad, outsize)
    return _deconv_col2im(x, W, stride, pad, outsize)


def _grad_w_forward(x, gy, stride, pad, ksize):
    if grad_w_uses_shift(x.shape, gy.shape, stride, pad, ksize):
        return _grad_w_shift(x, gy, stride, pad, ksize)
    return _grad_w_im2col(x, gy, stride, pad, ksize)


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
