"""A small super-resolution network: residual blocks and a pixel shuffle.

ESPCN's sub-pixel convolution (Shi et al., CVPR 2016) after a few residual
blocks without normalisation (as in EDSR, Lim et al. 2017: normalising
discards the range of the pixels, which super-resolution must keep). The
network learns the difference to a bilinear enlargement of its input, so an
untrained one already gives a smooth picture and training only has to add
the detail.
"""
import chainer
import chainer.functions as F
from chainer import initializers

from stargan.conv import links

#: The enlargements a network can be built for.
SCALES = (2, 4)


def _bilinear_matrix(xp, n, scale, dtype):
    """float ``(scale * n, n)``: bilinear weights of each output pixel
    (pixel centres aligned, edges repeated)."""
    src = xp.clip((xp.arange(scale * n, dtype=dtype) + 0.5) / scale - 0.5,
                  0, n - 1)
    lo = xp.floor(src)
    w = (src - lo)[:, None]
    cols = xp.arange(n, dtype=dtype)[None]
    hi = xp.minimum(lo + 1, n - 1)
    return ((1 - w) * (cols == lo[:, None]) + w * (cols == hi[:, None])
            ).astype(dtype)


def bilinear_enlarge(x, scale):
    """Bilinear enlargement by an integer factor, on any device.

    ``F.resize_images`` of chainer 7.8.1 fails with numpy 1.24+ (it uses
    ``numpy.float``), so this applies the interpolation as two small
    matrix products.

    Args:
        x (~chainer.Variable or array): float32 ``(N, C, H, W)``.
        scale (int): Factor.

    Returns:
        ~chainer.Variable: float32 ``(N, C, scale * H, scale * W)``.
    """
    xp = chainer.backend.get_array_module(x)
    dtype = x.dtype
    h, w = x.shape[2:]
    rows = _bilinear_matrix(xp, h, scale, dtype)  # (sH, H)
    cols = _bilinear_matrix(xp, w, scale, dtype)  # (sW, W)
    y = F.tensordot(x, cols, axes=([3], [1]))  # (N, C, H, sW)
    y = F.tensordot(y, rows, axes=([2], [1]))  # (N, C, sW, sH)
    return F.transpose(y, (0, 1, 3, 2))


class SRBlock(chainer.Chain):
    """conv3x3-ReLU-conv3x3 plus identity; keeps ``(N, C, H, W)``.

    Args:
        channels (int): Number of channels C.
    """

    def __init__(self, channels):
        super().__init__()
        with self.init_scope():
            self.c1 = links.Convolution2D(channels, channels, 3, 1, 1)
            self.c2 = links.Convolution2D(channels, channels, 3, 1, 1)

    def forward(self, x):
        return x + self.c2(F.relu(self.c1(x)))


class SuperResolution(chainer.Chain):
    """Enlarges pictures ``scale`` times: conv3x3 -> residual blocks ->
    conv3x3 to ``3 * scale ** 2`` channels -> pixel shuffle, added to the
    bilinear enlargement.

    Args:
        scale (int): 2 or 4 (:data:`SCALES`).
        channels (int): Width C of the body.
        n_blocks (int): Residual blocks.

    Raises:
        ValueError: An unsupported scale or a non-positive size.
    """

    def __init__(self, scale=2, channels=32, n_blocks=2):
        super().__init__()
        if scale not in SCALES:
            raise ValueError('scale must be one of {}, got {!r}'.format(
                SCALES, scale))
        if channels < 1 or n_blocks < 0:
            raise ValueError('channels must be positive and n_blocks >= 0, '
                             'got {} and {}'.format(channels, n_blocks))
        self.scale = int(scale)
        with self.init_scope():
            self.head = links.Convolution2D(3, channels, 3, 1, 1)
            self.body = chainer.Sequential(
                *[SRBlock(channels) for _ in range(n_blocks)])
            # Small output weights: training starts from the bilinear
            # enlargement instead of noise on top of it.
            self.tail = links.Convolution2D(
                channels, 3 * self.scale ** 2, 3, 1, 1,
                initialW=initializers.HeNormal(0.1))

    def forward(self, x):
        """Enlarges images.

        Args:
            x (~chainer.Variable or array): float32 ``(N, 3, H, W)`` in
                [-1, 1].

        Returns:
            ~chainer.Variable: float32 ``(N, 3, scale * H, scale * W)``,
            not clipped.
        """
        base = bilinear_enlarge(x, self.scale)
        feat = F.relu(self.head(x))
        if len(self.body):
            feat = feat + self.body(feat)
        return base + F.depth2space(self.tail(feat), self.scale)
