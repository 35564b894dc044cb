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
"""
import numpy

import chainer.functions as F
from chainer import backend
from chainer import function_node

from stargan import conv
from stargan import conv_gemm


def tap_mask(in_len, k, pad):
    """``A[i, u] = 1.0`` where output position i's tap u reads an input
    position of a stride-1 convolution: float32 ``(out_len, k)``."""
    out_len = in_len + 2 * pad - k + 1
    src = numpy.arange(out_len)[:, None] + numpy.arange(k)[None, :] - pad
    return ((src >= 0) & (src < in_len)).astype(numpy.float32)


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

    def _masks(self, xp, dtype, in_hw, ksize):
        return tuple(xp.asarray(tap_mask(s, k, p), dtype=dtype)
                     for s, k, p in zip(in_hw, ksize, self.pad))

    def forward(self, inputs):
        self.retain_inputs((0, 1, 2))
        x, c, W = inputs
        xp = backend.get_array_module(x)
        n_img = x.shape[1]
        y = conv.conv_array(x, xp.ascontiguousarray(W[:, :n_img]), (1, 1),
                            self.pad)
        a_h, a_w = self._masks(xp, x.dtype, x.shape[2:], W.shape[2:])
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
        a_h, a_w = self._masks(backend.get_array_module(gy.array),
                               gy.dtype, x.shape[2:], W.shape[2:])
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


def convolution_with_labels(x, c, W, pad):
    """``conv(concat(x, tile(c)), W)`` at stride 1, without the tiling.

    Args:
        x (~chainer.Variable or array): float32 ``(N, C, H, W)`` images.
        c (~chainer.Variable or array): float32 ``(N, L)`` labels.
        W (~chainer.Variable or array): float32 ``(O, C + L, kh, kw)``, the
            filter of the concatenated input (image channels first).
        pad (int or pair of ints): Zero padding.

    Returns:
        ~chainer.Variable: float32 ``(N, O, oh, ow)``, equal to the
        convolution of the concatenation up to rounding.
    """
    y, = LabelConv2D(pad).apply((x, c, W))
    return y
