"""StarGAN generator and discriminator (Choi et al., CVPR 2018).

Shapes follow the paper and its official code: the generator sees the target
label tiled as extra input channels; the discriminator has a PatchGAN
real/fake head and a domain-classification head.
"""
import functools

import chainer
from chainer import backend
import chainer.functions as F
import numpy

from stargan.conv import functions as conv
from stargan.conv import links

#: ``--upsample`` values: how the generator doubles its feature maps twice.
#: ``deconv``: 4x4 stride-2 transposed convolutions (the paper's); each of
#: the four pixels of a 2x2 output block is computed by its own quarter of
#: the kernel, so they can differ in a period-2 checkerboard (Odena et al.
#: 2016, "Deconvolution and Checkerboard Artifacts"). ``resize``:
#: nearest-neighbour x2, then a 3x3 stride-1 convolution: one kernel for
#: every output pixel.
UPSAMPLES = ('deconv', 'resize')


#: How each 3x3 tap of :class:`ResizeConvolution2D` lands in the 4x4
#: stride-2 transposed kernel that computes the same map (one axis; row p of
#: the 4x4 kernel is the sum of the 3x3 rows i with ``FOLD[p, i] = 1``).
FOLD = numpy.array([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]],
                   numpy.float32)
_FOLD_BOTH = numpy.kron(FOLD, FOLD).T  # (9, 16): both axes at once


def fold_resize_kernel(W):
    """The transposed-convolution kernel equal to nearest x2 then ``W``.

    Output row ``2m`` of a 3x3 convolution (padding 1) of the doubled map
    reads input rows ``m - 1`` (tap 0) and ``m`` (taps 1 and 2), row
    ``2m + 1`` reads rows ``m`` (taps 0, 1) and ``m + 1`` (tap 2): a 4x4
    stride-2 transposed convolution with padding 1 whose kernel is ``FOLD W
    FOLD^T`` on each axis. It does 4/9 of the multiply-adds of the 3x3
    convolution of the doubled map (16 per input pixel against 4 x 9), and
    makes no doubled copy of the input.

    Args:
        W (~chainer.Variable or array): float32 ``(O, C, 3, 3)``.

    Returns:
        ~chainer.Variable: float32 ``(C, O, 4, 4)`` (chainer's
        ``Deconvolution2D`` layout), differentiable in ``W``.
    """
    o, c = W.shape[:2]
    # Both axes at once: column (i, j) of the flat 3x3 kernel goes to
    # entry (p, q) of the 4x4 one with weight FOLD[p, i] * FOLD[q, j].
    both = backend.get_array_module(W).asarray(_FOLD_BOTH)
    k = F.matmul(F.reshape(W, (o * c, 9)), both)
    return F.transpose(F.reshape(k, (o, c, 4, 4)), (1, 0, 2, 3))


class ResizeConvolution2D(links.Convolution2D):
    """Nearest-neighbour x2 then a 3x3 stride-1 convolution (padding 1):
    ``(N, C, H, W)`` -> ``(N, O, 2H, 2W)``.

    A :class:`~stargan.conv.links.Convolution2D` (its ``W`` is ``(O, C, 3,
    3)``); the forward pass computes the same map as
    ``convolution_2d(F.unpooling_2d(x, 2, 2, 0, cover_all=False), W, b,
    1, 1)`` (see :meth:`reference`), but as one transposed convolution of
    ``x`` by :func:`fold_resize_kernel` (``W``): half the time on the CPU,
    equal up to float32 rounding.

    Args:
        in_channels (int): Input channels C.
        out_channels (int): Output channels O.
        nobias (bool): Drop the bias.
    """

    def __init__(self, in_channels, out_channels, nobias=False):
        super().__init__(in_channels, out_channels, 3, 1, 1, nobias=nobias)

    def forward(self, x):
        """(N, C, H, W) float32 -> (N, O, 2H, 2W) float32."""
        W = fold_resize_kernel(links.parameter(self.W))
        return conv.deconvolution_2d(x, W, links.parameter(self.b), 2, 1)

    def reference(self, x):
        """The definition, nearest x2 then the convolution (for tests)."""
        return super().forward(F.unpooling_2d(x, 2, 2, 0, cover_all=False))


def upsampling(in_channels, out_channels, upsample):
    """The link that doubles H and W and maps ``in_channels`` to
    ``out_channels`` (no bias), of kind ``upsample`` (:data:`UPSAMPLES`).

    Raises:
        ValueError: An unknown kind.
    """
    if upsample == 'deconv':
        return links.Deconvolution2D(in_channels, out_channels, 4, 2, 1,
                                     nobias=True)
    if upsample == 'resize':
        return ResizeConvolution2D(in_channels, out_channels, nobias=True)
    raise ValueError('upsample must be one of {}, got {!r}'.format(
        ', '.join(UPSAMPLES), upsample))


class ResidualBlock(chainer.Chain):
    """conv3x3-IN-ReLU-conv3x3-IN plus identity; keeps ``(N, C, H, W)``.

    Args:
        channels (int): Number of channels C.
    """

    def __init__(self, channels):
        super().__init__()
        with self.init_scope():
            self.c1 = links.Convolution2D(channels, channels, 3, 1, 1,
                                          nobias=True)
            self.n1 = links.InstanceNormalization(channels)
            self.c2 = links.Convolution2D(channels, channels, 3, 1, 1,
                                          nobias=True)
            self.n2 = links.InstanceNormalization(channels)

    def forward(self, x):
        h = F.relu(self.n1(self.c1(x)))
        return x + self.n2(self.c2(h))


class Generator(chainer.Chain):
    """Label-conditioned image-to-image generator.

    conv7x7 -> 2x (conv4x4 stride 2) -> residual blocks -> 2x upsampling
    (``up1``, ``up2``) -> conv7x7 -> tanh, with InstanceNorm and ReLU
    between.

    Args:
        c_dim (int): Length L of the label vector.
        conv_dim (int): Channels of the first layer (64 in the paper).
        n_res (int): Residual blocks at the bottleneck (6 in the paper).
        upsample (str): ``'deconv'`` (deconv4x4 stride 2, the paper's) or
            ``'resize'`` (nearest x2 then conv3x3); see :data:`UPSAMPLES`.
    """

    def __init__(self, c_dim, conv_dim=64, n_res=6, upsample='deconv'):
        super().__init__()
        self.c_dim = c_dim
        self.upsample = upsample
        d = conv_dim
        with self.init_scope():
            # The label is tiled over the image as extra input channels;
            # this link computes that without materialising the tiling.
            self.c_in = links.LabelConvolution2D(3 + c_dim, d, 7, 3,
                                                 nobias=True)
            self.n_in = links.InstanceNormalization(d)
            self.down1 = links.Convolution2D(d, 2 * d, 4, 2, 1, nobias=True)
            self.n_d1 = links.InstanceNormalization(2 * d)
            self.down2 = links.Convolution2D(2 * d, 4 * d, 4, 2, 1,
                                             nobias=True)
            self.n_d2 = links.InstanceNormalization(4 * d)
            self.res = chainer.Sequential(
                *[ResidualBlock(4 * d) for _ in range(n_res)])
            self.up1 = upsampling(4 * d, 2 * d, upsample)
            self.n_u1 = links.InstanceNormalization(2 * d)
            self.up2 = upsampling(2 * d, d, upsample)
            self.n_u2 = links.InstanceNormalization(d)
            self.c_out = links.Convolution2D(d, 3, 7, 1, 3, nobias=True)

    def forward(self, x, c):
        """Translates images to target labels.

        Args:
            x (~chainer.Variable or array): float32 ``(N, 3, H, W)`` in
                [-1, 1]; H and W divisible by 4.
            c (~chainer.Variable or array): float32 ``(N, L)`` targets.

        Returns:
            ~chainer.Variable: float32 ``(N, 3, H, W)`` in [-1, 1].
        """
        return F.tanh(self.c_out(self.features(x, c)))

    def features(self, x, c):
        """Everything before the output layer (shared with
        :class:`stargan.attention.AttentionGenerator`'s two heads).

        Args:
            x (~chainer.Variable or array): float32 ``(N, 3, H, W)``.
            c (~chainer.Variable or array): float32 ``(N, L)``.

        Returns:
            ~chainer.Variable: float32 ``(N, conv_dim, H, W)``.
        """
        return self.decode(self.encode(x, c))

    def encode(self, x, c):
        """The first half of :meth:`features`: the bottleneck, after the
        residual blocks (read by :class:`stargan.recolour.
        RecolourGenerator`'s colour head).

        Args:
            x (~chainer.Variable or array): float32 ``(N, 3, H, W)``.
            c (~chainer.Variable or array): float32 ``(N, L)``.

        Returns:
            ~chainer.Variable: float32 ``(N, 4 * conv_dim, H / 4, W / 4)``.
        """
        h = F.relu(self.n_in(self.c_in(x, c)))
        h = F.relu(self.n_d1(self.down1(h)))
        h = F.relu(self.n_d2(self.down2(h)))
        return self.res(h)

    def decode(self, h):
        """The second half of :meth:`features`: the two upsamplings.

        Args:
            h (~chainer.Variable): float32 ``(N, 4 * conv_dim, H / 4,
                W / 4)``, as :meth:`encode` returns.

        Returns:
            ~chainer.Variable: float32 ``(N, conv_dim, H, W)``.
        """
        h = F.relu(self.n_u1(self.up1(h)))
        return F.relu(self.n_u2(self.up2(h)))


def minibatch_stddev(h, eps=1e-8):
    """``h`` with one more channel, the same in every cell: the mean of each
    feature's standard deviation over the batch (ProGAN, Karras et al.
    2018), so a critic can see fakes that are all alike.

    Args:
        h (~chainer.Variable): float32 ``(N, C, H, W)``.
        eps (float): Keeps the square root differentiable at 0.

    Returns:
        ~chainer.Variable: float32 ``(N, C + 1, H, W)``.
    """
    dev = h - F.broadcast_to(F.mean(h, axis=0, keepdims=True), h.shape)
    spread = F.mean(F.sqrt(F.mean(dev * dev, axis=0) + eps))
    plane = F.broadcast_to(F.reshape(spread, (1, 1, 1, 1)),
                           (h.shape[0], 1) + h.shape[2:])
    return F.concat([h, plane], axis=1)


class Discriminator(chainer.Chain):
    """PatchGAN critic with an auxiliary domain classifier (ACGAN-style).

    ``n_down`` conv4x4 stride-2 layers with LeakyReLU(0.01), channels doubling
    from ``conv_dim``; then a 3x3 real/fake head and a classification head
    whose kernel covers the whole remaining ``image_size / 2**n_down`` map.

    The real/fake head gives one map (the paper's), or with ``per_domain``
    one map per label, each judging realism as an image *of that domain*
    (StarGAN v2's multi-task discriminator);
    :func:`stargan.losses.stargan.domain_scores` picks an image's map.
    With ``minibatch_std`` the heads also read :func:`minibatch_stddev`
    of the last features, so the scores of one image depend on its batch.

    Args:
        image_size (int): Input height and width; divisible by 2**n_down.
        c_dim (int): Length L of the label vector.
        conv_dim (int): Channels of the first layer (64 in the paper).
        n_down (int): Stride-2 layers (6 in the paper at 128 px).
        per_domain (bool): L real/fake maps instead of one.
        minibatch_std (bool): Give the heads the batch's spread.
    """

    def __init__(self, image_size, c_dim, conv_dim=64, n_down=6,
                 per_domain=False, minibatch_std=False):
        super().__init__()
        if image_size % (2 ** n_down) or image_size < 2 ** n_down:
            raise ValueError(
                'image size {} must be a multiple of 2**n_down = {} for a '
                'discriminator with {} stride-2 layers'.format(
                    image_size, 2 ** n_down, n_down))
        k = image_size // 2 ** n_down
        chans = [3] + [conv_dim * 2 ** i for i in range(n_down)]
        self.minibatch_std = minibatch_std
        top = chans[-1] + int(minibatch_std)
        with self.init_scope():
            self.body = chainer.Sequential()
            for cin, cout in zip(chans[:-1], chans[1:]):
                self.body.append(links.Convolution2D(cin, cout, 4, 2, 1))
                self.body.append(functools.partial(F.leaky_relu, slope=0.01))
            self.src = links.Convolution2D(top, c_dim if per_domain else 1,
                                           3, 1, 1, nobias=True)
            self.cls = links.Convolution2D(top, c_dim, k, 1, 0, nobias=True)

    def forward(self, x):
        """Scores realism and classifies domains.

        Args:
            x (~chainer.Variable or array): float32 ``(N, 3, S, S)``.

        Returns:
            tuple: ``(src, cls)``: float32 ``(N, 1 or L, S / 2**n_down,
            S / 2**n_down)`` critic scores and float32 ``(N, L)`` logits.
        """
        h = self.body(x)
        if self.minibatch_std:
            h = minibatch_stddev(h)
        return self.src(h), F.reshape(self.cls(h), (x.shape[0], -1))
