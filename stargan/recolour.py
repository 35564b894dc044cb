"""Recolouring generator: G changes the input's colours, it does not paint.

The plain generator redraws every pixel through a bottleneck a quarter of
the image's size, and on CPU budgets its translations stay blurred, noisy
and tinted all over (docs/QUALITY.md). This one keeps the input's own
pixels and moves their colours:

* at each cell of its bottleneck (``H / 4 x W / 4``) a head predicts an
  affine map of RGB colour, a 3x3 matrix ``I + M`` and an offset ``t``;
* the maps are spread over the image by bilinear interpolation
  (:func:`spread`), so each pixel's colour goes through a map that changes
  smoothly from place to place: ``T(x) = (I + M) x + t``
  (:func:`recolour`);
* a full-resolution mask ``A``, as in :mod:`stargan.attention`, says where
  the map applies, with sharp edges: the result is
  ``A * T(x) + (1 - A) * x``, the mask losses of that module shape it.

Every edge and texture of the input survives (a map smooth over 4 x 4
pixels cannot add detail), where ``A`` is 0 the input is kept exactly, and
the colour head starts at zero, so an untrained generator is the identity.
"""
from chainer import backend
import chainer.functions as F
import numpy

from stargan import attention
from stargan.conv import functions as conv
from stargan.conv import links

#: Channels of the colour head: the 3x3 matrix M row by row (``M[c, j]`` is
#: channel ``3 * c + j``), then the offset t (channels 9, 10, 11).
N_COEFFICIENTS = 12
#: The largest offset: 2 moves a pixel across the whole [-1, 1] range.
MAX_OFFSET = 2.
#: The bottleneck is this many times smaller than the image, per side.
FACTOR = 4


def bilinear_kernel(channels, factor):
    """The transposed-convolution kernel of bilinear upsampling by
    ``factor``, each channel on its own.

    Args:
        channels (int): Channels C.
        factor (int): Even upsampling factor f.

    Returns:
        numpy.ndarray: float32 ``(C, C, 2f, 2f)``, zero off the channel
        diagonal; tap ``i`` of an axis weighs ``1 - |i - (f - 0.5)| / f``.
    """
    taps = 1 - numpy.abs(numpy.arange(2 * factor) - (factor - .5)) / factor
    w = numpy.zeros((channels, channels, 2 * factor, 2 * factor),
                    numpy.float32)
    w[numpy.arange(channels), numpy.arange(channels)] = numpy.outer(taps,
                                                                    taps)
    return w


def _clamp_edges(k):
    """``k`` with its first and last rows and columns repeated once."""
    k = F.concat([k[:, :, :1], k, k[:, :, -1:]], axis=2)
    return F.concat([k[:, :, :, :1], k, k[:, :, :, -1:]], axis=3)


def spread(k, factor=FACTOR):
    """Bilinear upsampling with pixel centres at half steps and the edges
    clamped (``align_corners=False``): output pixel ``o`` of an axis reads
    the input at ``(o + 0.5) / factor - 0.5``, clipped to the input.

    One fixed transposed convolution of the edge-padded input, cropped:
    nodes every device and the ONNX export already run.

    Args:
        k (~chainer.Variable or array): float32 ``(N, C, h, w)``.
        factor (int): Even upsampling factor f.

    Returns:
        ~chainer.Variable: float32 ``(N, C, f h, f w)``.
    """
    xp = backend.get_array_module(k)
    W = xp.asarray(bilinear_kernel(k.shape[1], factor))
    y = conv.deconvolution_2d(_clamp_edges(k), W, None, factor, factor // 2)
    return y[:, :, factor:-factor, factor:-factor]


def recolour(x, k):
    """Each pixel's colour through its own affine map, clipped to [-1, 1].

    ``T(x)_c = x_c + sum_j M[c, j] x_j + t_c``.

    Args:
        x (~chainer.Variable or array): float32 ``(N, 3, H, W)``.
        k (~chainer.Variable or array): float32 ``(N, 12, H, W)``: M and t
            (:data:`N_COEFFICIENTS`).

    Returns:
        ~chainer.Variable: float32 ``(N, 3, H, W)`` in [-1, 1].
    """
    channels = []
    for c in range(3):  # three colour channels, not a loop over samples
        y = x[:, c:c + 1] + k[:, 9 + c:10 + c]
        for j in range(3):
            y = y + k[:, 3 * c + j:3 * c + j + 1] * x[:, j:j + 1]
        channels.append(y)
    return F.clip(F.concat(channels, axis=1), -1., 1.)


class RecolourGenerator(attention.MaskedGenerator):
    """A :class:`~stargan.attention.MaskedGenerator` that recolours where
    its mask says, with a colour head on its bottleneck.

    Parameter names are the attention generator's, less the painting layer
    ``c_out``, plus ``t_out`` (conv3x3 from the bottleneck to 12 channels,
    zero at the start): the colour head. Built with the arguments of
    :class:`~stargan.attention.MaskedGenerator`.
    """

    def __init__(self, c_dim, conv_dim=64, n_res=6, upsample='deconv'):
        super().__init__(c_dim, conv_dim, n_res, upsample)
        del self.c_out  # nothing is painted
        with self.init_scope():
            self.t_out = links.Convolution2D(4 * conv_dim, N_COEFFICIENTS,
                                             3, 1, 1, initialW=0)

    def colour_maps(self, bottleneck):
        """The affine maps at the bottleneck's cells, bounded: each entry of
        M in (-1, 1), each offset in (-2, 2).

        Args:
            bottleneck (~chainer.Variable): float32 ``(N, 4 * conv_dim, h,
                w)``.

        Returns:
            ~chainer.Variable: float32 ``(N, 12, h, w)``.
        """
        raw = self.t_out(bottleneck)
        return F.concat([F.tanh(raw[:, :9]),
                         MAX_OFFSET * F.tanh(raw[:, 9:])], axis=1)

    def forward_with_mask(self, x, c):
        """:meth:`~stargan.attention.MaskedGenerator.forward_with_mask`:
        the input's colours through the spread maps, composed with the
        input where the mask says."""
        bottleneck = self.encode(x, c)
        mask = self.mask(self.decode(bottleneck))
        k = spread(self.colour_maps(bottleneck))
        return attention.compose(x, recolour(x, k), mask), mask
