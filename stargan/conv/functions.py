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

Each builds its im2col buffer channel-major, so that one GEMM spans a chunk
of samples with no transposed copy of the buffer (:mod:`stargan.conv.gemm`,
:func:`stargan.conv.choice.settings`), and processes the batch in chunks so
the buffer stays bounded (a 7x7 convolution of 64 channels at 128 px would
otherwise need gigabytes).
On CuPy, ``convolution_2d``/``deconvolution_2d`` hand over to chainer's own
cuDNN-backed functions, whose GPU path does not have the bug; pass
``use_stock=False`` to run this implementation on any device.

Each node has two equivalent computations, and picks per call the one whose
temporary buffer is smaller (see :mod:`stargan.conv.choice`):

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
import contextlib

import numpy

import chainer
from chainer import backend
from chainer import function_node
import chainer.functions as F
from chainer.utils import conv as conv_utils

from stargan.conv import choice as conv_choice
from stargan.conv import cpu_threads
from stargan.conv import gemm as conv_gemm
from stargan.conv import shift
from stargan.conv import winograd

_pair = conv_gemm.pair
_conv_outsize = conv_gemm.conv_outsize


def _positions(shape):
    return shape[2] * shape[3]


def conv_array(x, W, stride, pad, inference=False):
    """``conv(x, W)`` on arrays, as :class:`Conv2D` computes it (numpy or
    CuPy; ``inference`` may keep Winograd filter transforms)."""
    if conv_choice.conv_uses_shift(x.shape, W.shape, stride, pad):
        return shift.conv_shift(x, W, stride, pad)
    if conv_choice.conv_uses_winograd(x.shape, W.shape, stride):
        return winograd.conv(x, W, pad, reuse_filter=inference)
    out = _conv_outsize(x.shape[2:], W.shape[2:], stride, pad)
    im2col = conv_choice.im2col_functions(out[0] * out[1])[0]
    if cpu_threads.active() and not _on_gpu(x):
        return _by_row_blocks(im2col, x, W, stride, pad)
    return im2col(x, W, stride, pad)


def _by_row_blocks(conv_fn, x, W, stride, pad):
    """``conv_fn(x, W, stride, pad)`` computed by blocks of output rows at
    once on the CPU's threads (:func:`stargan.conv.cpu_threads.for_blocks`), so
    that gathering the im2col buffer runs in parallel too, not only the
    GEMM; each block convolves the rows of the padded input it reads."""
    n, o, kh = x.shape[0], W.shape[0], W.shape[2]
    oh, ow = _conv_outsize(x.shape[2:], W.shape[2:], stride, pad)
    rows = conv_gemm.span(stride[0], oh) + kh - 1
    xpad = conv_gemm.padded(x, (pad[0], 0), (rows, x.shape[3]))
    y = numpy.empty((n, o, oh, ow), dtype=x.dtype)

    def block(lo, hi):
        part = xpad[:, :, lo * stride[0]:(hi - 1) * stride[0] + kh]
        y[:, :, lo:hi] = conv_fn(part, W, stride, (0, pad[1]))
    cpu_threads.for_blocks(oh, block, n * o * oh * ow * W[0].size)
    return y


def _deconv_forward(x, W, stride, pad, outsize):
    if conv_choice.deconv_uses_im2col(x.shape, W.shape, stride, pad,
                                      outsize):
        # A convolution of the padded input: it may take Winograd too.
        return conv_gemm.deconv_by_conv(x, W, pad, outsize, conv_array)
    deconv = conv_choice.deconv_function()
    if cpu_threads.active() and not _on_gpu(x):
        return _by_channel_blocks(deconv, x, W, stride, pad, outsize)
    return deconv(x, W, stride, pad, outsize)


def _by_channel_blocks(deconv_fn, x, W, stride, pad, outsize):
    """``deconv_fn(x, W, stride, pad, outsize)`` by blocks of output
    channels at once on the CPU's threads, so that col2im's sums run in
    parallel too, not only the GEMM."""
    n, (i, o, kh, kw) = x.shape[0], W.shape
    y = numpy.empty((n, o) + tuple(outsize), dtype=x.dtype)

    def block(lo, hi):
        y[:, lo:hi] = deconv_fn(x, W[:, lo:hi], stride, pad, outsize)
    cpu_threads.for_blocks(o, block, n * i * o * kh * kw * x[0, 0].size)
    return y


def _grad_w_forward(x, gy, stride, pad, ksize):
    if conv_choice.grad_w_uses_shift(x.shape, gy.shape, stride, pad, ksize):
        return shift.grad_w_shift(x, gy, stride, pad, ksize)
    w_shape = (gy.shape[1], x.shape[1]) + tuple(ksize)
    if conv_choice.conv_uses_winograd(x.shape, w_shape, stride):
        return winograd.grad_w(x, gy, pad)
    grad_w = conv_choice.im2col_functions(_positions(gy.shape))[2]
    return grad_w(x, gy, stride, pad, ksize)


class Conv2D(function_node.FunctionNode):
    """``y = conv(x, W)`` without bias; x (N, C, H, W), W (O, C, kh, kw)."""

    def __init__(self, stride, pad):
        self.stride, self.pad = _pair(stride), _pair(pad)

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs
        self.x_hw = x.shape[2:]
        keep = (getattr(chainer.config, 'stargan_keep_transforms', False)
                and not chainer.config.enable_backprop)
        return conv_array(x, W, self.stride, self.pad, keep),

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


def keep_filter_transforms():
    """Context for inference with fixed parameters (translating images):
    without backprop, 3x3 convolutions keep their filters' Winograd
    transforms between calls
    (:func:`stargan.conv.winograd.transformed_filter`).

    One image through the paper generator takes about 10% less time, for
    about 140 MB kept while the parameters live. Training does not use it:
    its parameters change every step, so the kept transforms would only
    hold memory.
    """
    return chainer.using_config('stargan_keep_transforms', True)


@contextlib.contextmanager
def translating():
    """Context for running a trained generator on fixed parameters, as
    translate.py does and ``bench.py`` times it: test mode, no backprop,
    kept filter transforms (:func:`keep_filter_transforms`) and the work
    split across the CPU's cores (:func:`stargan.conv.cpu_threads.splitting`).
    """
    with chainer.using_config('train', False), \
            chainer.no_backprop_mode(), keep_filter_transforms(), \
            cpu_threads.splitting():
        yield


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
