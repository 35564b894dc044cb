"""The generator's first convolution without tiling the label.

StarGAN's generator convolves the image concatenated with its target label
tiled over every pixel: ``conv(concat(x, tile(c)), W)``. A tiled label
channel is constant, so its convolution is ``c_l`` times the sum of the
filter taps that land inside the image: the full sum in the interior, a
partial one within ``pad`` pixels of a border. With ``A_h[i, u] = 1`` when
tap row u of output row i reads an input row (0 otherwise), and ``A_w``
alike, the label part of the output is

    ``sum_l c[n, l] * A_h @ W[o, 3 + l] @ A_w^T``

which costs two small matrix products per sample and output channel
instead of a convolution over L more input channels (the paper's 5 labels
make 8 input channels, where the image has 3: 2.7x the arithmetic).

Two computations of it: on the CPU the :class:`LabelConv2D` node (the
project's own convolution, the label planes added in place a sample at a
time, so no other activation-sized array is made); on the GPU
(:func:`stock_convolution_with_labels`) chainer's ``F.convolution_2d``
(cuDNN) for the image channels plus the label term for the whole batch
as one matrix product, ``c @ P`` with ``P[l] = A_h @ W[:, C + l] @ A_w^T``,
all of chainer's own differentiable functions.
"""
import functools

import numpy

import chainer
from chainer import backend
from chainer import function_node
import chainer.functions as F

from stargan.conv import functions as conv
from stargan.conv import gemm as conv_gemm


def tap_mask(in_len, k, pad, xp=numpy, dtype=numpy.float32):
    """``A[i, u] = 1`` where output position i's tap u reads an input
    position of a stride-1 convolution: ``(out_len, k)`` of ``dtype``,
    built by ``xp`` (numpy or CuPy, on its current device)."""
    out_len = in_len + 2 * pad - k + 1
    src = xp.arange(out_len)[:, None] + xp.arange(k)[None, :] - pad
    return ((src >= 0) & (src < in_len)).astype(dtype)


@functools.lru_cache(maxsize=64)
def _cached_masks(device_name, dtype, in_hw, ksize, pad):
    device = chainer.get_device(device_name)
    with chainer.using_device(device):
        return tuple(tap_mask(s, k, p, device.xp, dtype)
                     for s, k, p in zip(in_hw, ksize, pad))


def masks(array, in_hw, ksize, pad):
    """``(A_h, A_w)`` of :func:`tap_mask` for an input of size ``in_hw``,
    built once on ``array``'s device with its dtype and kept (a few
    shapes per network, a few hundred bytes each): not made on the host
    and copied over at every call."""
    device = backend.get_device_from_array(array)
    return _cached_masks(device.name, numpy.dtype(array.dtype).str,
                         tuple(in_hw), tuple(ksize), tuple(pad))


def _tap_sums(gy, a_h, a_w):
    """``A_h^T @ gy[n, o] @ A_w`` for every sample and channel:
    ``(N, O, kh, kw)`` from gy ``(N, O, oh, ow)`` (chainer functions)."""
    n, out_c, oh, ow = gy.shape
    kh, kw = a_h.shape[1], a_w.shape[1]
    cols = F.matmul(F.reshape(gy, (-1, ow)), a_w)  # (N * O * oh, kw)
    cols = F.reshape(F.transpose(F.reshape(cols, (n * out_c, oh, kw)),
                                 (1, 0, 2)), (oh, -1))
    taps = F.matmul(a_h.T, cols)  # (kh, N * O * kw)
    return F.reshape(F.transpose(F.reshape(taps, (kh, n * out_c, kw)),
                                 (1, 0, 2)), (n, out_c, kh, kw))


class LabelConv2D(function_node.FunctionNode):
    """``conv(concat(x, tile(c)), W)`` at stride 1; x (N, C, H, W), c (N, L),
    W (O, C + L, kh, kw).

    The forward adds each sample's label planes into the image
    convolution's output in place, so no other activation-sized array is
    made (a composite of chainer functions would hold three at once). The
    backward is made of differentiable nodes, so any order of derivative
    works.
    """

    def __init__(self, pad):
        self.pad = conv_gemm.pair(pad)

    def forward(self, inputs):
        self.retain_inputs((0, 1, 2))
        x, c, W = inputs
        xp = backend.get_array_module(x)
        n_img = x.shape[1]
        y = conv.conv_array(x, xp.ascontiguousarray(W[:, :n_img]), (1, 1),
                            self.pad)
        a_h, a_w = masks(x, x.shape[2:], W.shape[2:], self.pad)
        # Per sample, the label-weighted filter sum_l c[n, l] * W[:, C + l].
        w_lab = W[:, n_img:].transpose(1, 0, 2, 3)
        w_n = xp.matmul(c, w_lab.reshape(c.shape[1], -1)).reshape(
            (x.shape[0],) + w_lab.shape[1:])
        for i in range(x.shape[0]):  # a sample's planes at a time
            y[i] += xp.matmul(xp.matmul(a_h, w_n[i]), a_w.T)
        return y,

    def backward(self, indexes, grad_outputs):
        x, c, W = self.get_retained_inputs()
        gy, = grad_outputs
        n_img = x.shape[1]
        w_img, w_lab = F.split_axis(W, [n_img], axis=1)
        ret = []
        if 0 in indexes:
            ret.append(conv.Deconv2D(1, self.pad, x.shape[2:]).apply(
                (gy, w_img))[0])
        if 1 not in indexes and 2 not in indexes:
            return ret
        a_h, a_w = masks(gy.array, x.shape[2:], W.shape[2:], self.pad)
        # (N, O * kh * kw): each filter tap's sum of gy over the image.
        taps = F.reshape(_tap_sums(gy, a_h, a_w), (x.shape[0], -1))
        if 1 in indexes:
            w_lab_rows = F.reshape(F.transpose(w_lab, (1, 0, 2, 3)),
                                   (c.shape[1], -1))  # (L, O * kh * kw)
            ret.append(F.matmul(taps, w_lab_rows, transb=True))
        if 2 in indexes:
            gw_img = conv.Conv2DGradW(1, self.pad, W.shape[2:]).apply(
                (x, gy))[0]
            gw_lab = F.transpose(F.reshape(
                F.matmul(c, taps, transa=True),
                (c.shape[1],) + w_lab.shape[:1] + w_lab.shape[2:]),
                (1, 0, 2, 3))
            ret.append(F.concat((gw_img, gw_lab), axis=1))
        return ret


def label_planes(c, W_lab, a_h, a_w):
    """The label term ``sum_l c[n, l] * A_h @ W_lab[o, l] @ A_w^T`` of the
    whole batch: the planes ``P (L, O * oh * ow)`` (two products over all
    labels and channels at once), then one product ``c @ P``.

    Args:
        c (~chainer.Variable or array): ``(N, L)`` labels.
        W_lab (~chainer.Variable or array): ``(O, L, kh, kw)``, the
            filter's label channels.
        a_h, a_w (array): :func:`masks` ``(oh, kh)`` and ``(ow, kw)``.

    Returns:
        ~chainer.Variable: ``(N, O, oh, ow)``.
    """
    out_c, n_lab, kh, kw = W_lab.shape
    oh, ow = a_h.shape[0], a_w.shape[0]
    w = F.reshape(F.transpose(W_lab, (1, 0, 2, 3)), (-1, kw))
    t = F.matmul(w, a_w, transb=True)  # (L * O * kh, ow)
    t = F.transpose(F.reshape(t, (n_lab * out_c, kh, ow)), (1, 0, 2))
    t = F.matmul(a_h, F.reshape(t, (kh, -1)))  # (oh, L * O * ow)
    planes = F.reshape(F.transpose(F.reshape(t, (oh, n_lab * out_c, ow)),
                                   (1, 0, 2)), (n_lab, -1))
    return F.reshape(F.matmul(c, planes), (c.shape[0], out_c, oh, ow))


def stock_convolution_with_labels(x, c, W, pad):
    """:func:`convolution_with_labels` from chainer's own functions: the
    image channels by ``F.convolution_2d`` (cuDNN on the GPU), the label
    term by :func:`label_planes`; no loop over samples or chunks. What the
    GPU runs; arguments and result as :func:`convolution_with_labels`.
    """
    pad = conv_gemm.pair(pad)
    n_img = x.shape[1]
    w_img, w_lab = F.split_axis(W, [n_img], axis=1)
    y = F.convolution_2d(x, w_img, None, 1, pad)
    a_h, a_w = masks(chainer.as_array(x), x.shape[2:], W.shape[2:], pad)
    return y + label_planes(c, w_lab, a_h, a_w)


def convolution_with_labels(x, c, W, pad, use_stock=None):
    """``conv(concat(x, tile(c)), W)`` at stride 1, without the tiling.

    Args:
        x (~chainer.Variable or array): float32 ``(N, C, H, W)`` images.
        c (~chainer.Variable or array): float32 ``(N, L)`` labels.
        W (~chainer.Variable or array): float32 ``(O, C + L, kh, kw)``, the
            filter of the concatenated input (image channels first).
        pad (int or pair of ints): Zero padding.
        use_stock (bool): Compute by :func:`stock_convolution_with_labels`
            (chainer's functions, cuDNN) rather than :class:`LabelConv2D`;
            ``None`` means: on the GPU yes, on the CPU no.

    Returns:
        ~chainer.Variable: float32 ``(N, O, oh, ow)``, equal to the
        convolution of the concatenation up to rounding.
    """
    if use_stock is None:
        use_stock = backend.get_array_module(chainer.as_array(x)) \
            is not numpy
    if use_stock:
        return stock_convolution_with_labels(x, c, W, pad)
    y, = LabelConv2D(pad).apply((x, c, W))
    return y
