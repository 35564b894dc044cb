"""Links whose forward passes run through :mod:`stargan.conv.functions`.

They keep chainer's parameter names and layouts (``W``, ``b``), so their
weights serialize exactly like ``L.Convolution2D``/``L.Deconvolution2D``.
"""
import chainer
from chainer import backend
from chainer import function_node
import chainer.functions as F
from chainer import initializers
import chainer.links as L

from stargan.conv import choice as conv_choice
from stargan.conv import functions as conv
from stargan.conv import label_conv


def frozen_parameters():
    """Context in which these links use their parameters as constants.

    Inside it, their forward passes take the parameters' arrays, so the
    graph stops there: backprop computes no gradient for them (no filter
    gradients, no memory for them), while gradients still flow to the
    inputs. StarGAN's G step uses it for D, whose parameters it does not
    update.
    """
    return chainer.using_config('stargan_frozen_parameters', True)


def parameter(param):
    """``param`` itself, or its array inside :func:`frozen_parameters`; for
    the forward passes of links (``param`` may be None, e.g. no bias)."""
    if param is not None and getattr(
            chainer.config, 'stargan_frozen_parameters', False):
        return param.array
    return param


class Convolution2D(L.Convolution2D):
    """``L.Convolution2D`` computed by
    :func:`stargan.conv.functions.convolution_2d`.

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
        return conv.convolution_2d(x, parameter(self.W), parameter(self.b),
                                   self.stride, self.pad)


class LabelConvolution2D(Convolution2D):
    """A stride-1 convolution of an image concatenated with a label tiled
    over its pixels, computed without the tiling
    (:func:`stargan.conv.label_conv.convolution_with_labels`).

    Its filter ``W`` is ``(O, C + L, k, k)``, image channels first, exactly
    the filter of a ``Convolution2D`` on the concatenation, so weights load
    either way.

    Args:
        in_channels (int): Image channels plus label length, C + L.
        out_channels (int): Output channels O.
        ksize (int): Kernel size.
        pad (int): Zero padding.
        nobias (bool): Drop the bias.
        initialW: Filter initializer.
    """

    def __init__(self, in_channels, out_channels, ksize, pad=0,
                 nobias=False, initialW=None):
        super().__init__(in_channels, out_channels, ksize, 1, pad,
                         nobias=nobias, initialW=initialW)

    def forward(self, x, c):
        """x (N, C, H, W) and c (N, L) float32 -> (N, O, oh, ow) float32."""
        y = label_conv.convolution_with_labels(x, c, parameter(self.W),
                                               self.pad)
        b = parameter(self.b)
        return y if b is None else F.bias(y, b, axis=1)


class Deconvolution2D(L.Deconvolution2D):
    """``L.Deconvolution2D`` computed by
    :func:`stargan.conv.functions.deconvolution_2d`.

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
        return conv.deconvolution_2d(x, parameter(self.W), parameter(self.b),
                                     self.stride, self.pad)


def instance_normalization_composite(x, gamma, beta, eps=1e-5):
    """:func:`instance_normalization` built from chainer functions.

    Slower (each step keeps its own full-size temporary), but every order
    of derivative comes from chainer's own functions; the fused node falls
    back to it for second derivatives and the tests compare the two.

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


class InstanceNorm(function_node.FunctionNode):
    """Fused instance normalisation; x (N, C, H, W), gamma and beta (C,).

    The forward and the first-order backward each make a few passes over x
    instead of the composite's chain of full-size temporaries. The
    backward is hand-derived: with ``xhat = (x - mean) * rstd`` and
    ``g = gy * gamma``,
    ``gx = rstd * (g - mean(g) - xhat * mean(g * xhat))`` (means over H, W),
    ``ggamma = sum(gy * xhat)`` and ``gbeta = sum(gy)`` (over N, H, W).
    When a second derivative is asked for (``enable_double_backprop``), the
    backward is taken through :func:`instance_normalization_composite`
    instead, so every order stays correct.
    """

    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, inputs):
        self.retain_inputs((0, 1, 2))
        x, gamma, beta = inputs
        xp = backend.get_array_module(x)
        self.mu = x.mean(axis=(2, 3), keepdims=True)
        y = x - self.mu
        # The count as x's dtype: NumPy 1.x turns float32 / int into
        # float64 once the int exceeds 65535 (256 x 256 px and up).
        var = xp.einsum('nchw,nchw->nc', y, y)[:, :, None, None] / \
            x.dtype.type(x.shape[2] * x.shape[3])
        self.rstd = (var + x.dtype.type(self.eps)) ** -0.5
        # y = (x - mu) * rstd * gamma + beta, in place; the normalized x is
        # not kept (it would hold a second activation-sized array per layer
        # until backward, which recomputes it from x).
        y *= self.rstd * gamma[:, None, None]
        y += beta[:, None, None]
        return y,

    def backward(self, indexes, grad_outputs):
        x, gamma, beta = self.get_retained_inputs()
        gy, = grad_outputs
        if chainer.config.enable_backprop:
            y = instance_normalization_composite(x, gamma, beta, self.eps)
            grads = chainer.grad([y], [(x, gamma, beta)[i] for i in indexes],
                                 grad_outputs=[gy],
                                 enable_double_backprop=True)
            return tuple(grads)
        gy = gy.array
        xhat = (x.array - self.mu) * self.rstd
        ret = []
        if 0 in indexes:
            g = gy * gamma.array[:, None, None]
            mean_g = g.mean(axis=(2, 3), keepdims=True)
            mean_gx = (g * xhat).mean(axis=(2, 3), keepdims=True)
            g -= mean_g
            g -= xhat * mean_gx
            g *= self.rstd
            ret.append(chainer.Variable(g))
        if 1 in indexes:
            ret.append(chainer.Variable((gy * xhat).sum(axis=(0, 2, 3))))
        if 2 in indexes:
            ret.append(chainer.Variable(gy.sum(axis=(0, 2, 3))))
        return ret


def instance_normalization(x, gamma, beta, eps=1e-5):
    """Normalises each sample's channels over their spatial positions.

    Computed by the fused :class:`InstanceNorm` node (or, inside
    ``stargan.conv.choice.settings(instance_norm='composite')``, by
    :func:`instance_normalization_composite`); any order of derivative
    works.

    Args:
        x (~chainer.Variable): float32 ``(N, C, H, W)``.
        gamma (~chainer.Variable): Scale, float32 ``(C,)``.
        beta (~chainer.Variable): Shift, float32 ``(C,)``.
        eps (float): Added to the variance.

    Returns:
        ~chainer.Variable: float32 ``(N, C, H, W)``.
    """
    if conv_choice.setting('instance_norm') == 'composite':
        return instance_normalization_composite(x, gamma, beta, eps)
    y, = InstanceNorm(eps).apply((x, gamma, beta))
    return y


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
        return instance_normalization(x, parameter(self.gamma),
                                      parameter(self.beta), self.eps)
