"""Links whose forward passes run through :mod:`stargan.conv`.

They keep chainer's parameter names and layouts (``W``, ``b``), so their
weights serialize exactly like ``L.Convolution2D``/``L.Deconvolution2D``.
"""
import chainer
import chainer.functions as F
import chainer.links as L
from chainer import initializers

from stargan import conv


class Convolution2D(L.Convolution2D):
    """``L.Convolution2D`` computed by :func:`stargan.conv.convolution_2d`.

    Args:
        in_channels (int): Input channels C.
        out_channels (int): Output channels O.
        ksize (int): Kernel size.
        stride (int): Stride.
        pad (int): Zero padding.
        nobias (bool): Drop the bias.
        initialW: Filter initializer.
    """

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0,
                 nobias=False, initialW=None):
        super().__init__(in_channels, out_channels, ksize, stride, pad,
                         nobias=nobias, initialW=initialW)

    def forward(self, x):
        """(N, C, H, W) float32 -> (N, O, oh, ow) float32."""
        return conv.convolution_2d(x, self.W, self.b, self.stride, self.pad)


class Deconvolution2D(L.Deconvolution2D):
    """``L.Deconvolution2D`` computed by :func:`stargan.conv.deconvolution_2d`.

    Args:
        in_channels (int): Input channels I.
        out_channels (int): Output channels O.
        ksize (int): Kernel size.
        stride (int): Stride.
        pad (int): Padding removed from the output.
        nobias (bool): Drop the bias.
        initialW: Filter initializer.
    """

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0,
                 nobias=False, initialW=None):
        super().__init__(in_channels, out_channels, ksize, stride, pad,
                         nobias=nobias, initialW=initialW)

    def forward(self, x):
        """(N, I, h, w) float32 -> (N, O, H, W) float32."""
        return conv.deconvolution_2d(x, self.W, self.b, self.stride,
                                     self.pad)


def instance_normalization(x, gamma, beta, eps=1e-5):
    """Normalises each sample's channels over their spatial positions.

    Args:
        x (~chainer.Variable): float32 ``(N, C, H, W)``.
        gamma (~chainer.Variable): Scale, float32 ``(C,)``.
        beta (~chainer.Variable): Shift, float32 ``(C,)``.
        eps (float): Added to the variance.

    Returns:
        ~chainer.Variable: float32 ``(N, C, H, W)``.
    """
    mu = F.mean(x, axis=(2, 3), keepdims=True)
    xc = x - F.broadcast_to(mu, x.shape)
    var = F.mean(xc * xc, axis=(2, 3), keepdims=True)
    xhat = xc * F.broadcast_to((var + eps) ** -0.5, x.shape)
    return F.bias(F.scale(xhat, gamma, axis=1), beta, axis=1)


class InstanceNormalization(chainer.Link):
    """Instance normalisation with a learned per-channel affine transform.

    StarGAN's reference code uses per-image statistics in training and
    inference alike; so does this link (there are no running averages).

    Args:
        channels (int): Number of channels C.
        eps (float): Added to the variance.
    """

    def __init__(self, channels, eps=1e-5):
        super().__init__()
        self.eps = eps
        with self.init_scope():
            self.gamma = chainer.Parameter(initializers.One(), (channels,))
            self.beta = chainer.Parameter(initializers.Zero(), (channels,))

    def forward(self, x):
        """(N, C, H, W) float32 -> (N, C, H, W) float32."""
        return instance_normalization(x, self.gamma, self.beta, self.eps)
