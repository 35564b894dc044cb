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

from stargan import conv
from stargan import conv_gemm


def tap_mask(in_len, k, pad):
    """``A[i, u] = 1.0`` where output position i's tap u reads an input
    position of a stride-1 convolution: float32 ``(out_len, k)``."""
    out_len = in_len + 2 * pad - k + 1
    src = numpy.arange(out_len)[:, None] + numpy.arange(k)[None, :] - pad
    return ((src >= 0) & (src < in_len)).astype(numpy.float32)


def label_planes(c, W, in_hw, pad):
    """The convolution of tiled labels: ``(N, O, oh, ow)``.

    Args:
        c (~chainer.Variable or array): float32 ``(N, L)`` labels.
        W (~chainer.Variable or array): float32 ``(O, L, kh, kw)`` filter
            of the label channels.
        in_hw (pair of ints): The image's ``(H, W)``.
        pad (pair of ints): Zero padding of the stride-1 convolution.

    Returns:
        ~chainer.Variable: float32 ``(N, O, oh, ow)``.
    """
    n, n_labels = c.shape
    out_c, _, kh, kw = W.shape
    xp = backend.get_array_module(W)
    a_h = xp.asarray(tap_mask(in_hw[0], kh, pad[0]))
    a_w = xp.asarray(tap_mask(in_hw[1], kw, pad[1]))
    oh, ow = a_h.shape[0], a_w.shape[0]
    # Per sample, the label-weighted filter sum_l c[n, l] * W[:, l].
    w_n = F.matmul(c, F.reshape(F.transpose(W, (1, 0, 2, 3)),
                                (n_labels, -1)))
    w_n = F.reshape(F.transpose(F.reshape(w_n, (n * out_c, kh, kw)),
                                (1, 0, 2)), (kh, -1))
    rows = F.matmul(a_h, w_n)  # (oh, N * O * kw)
    rows = F.reshape(F.transpose(F.reshape(rows, (oh, n * out_c, kw)),
                                 (1, 0, 2)), (-1, kw))
    planes = F.matmul(rows, a_w.T)  # (N * O * oh, ow)
    return F.reshape(planes, (n, out_c, oh, ow))


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
    pad = conv_gemm.pair(pad)
    n_img = x.shape[1]
    w_img, w_lab = F.split_axis(W, [n_img], axis=1)
    y = conv.convolution_2d(x, w_img, None, 1, pad)
    return y + label_planes(c, w_lab, x.shape[2:], pad)
