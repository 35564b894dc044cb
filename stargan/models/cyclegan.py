"""CycleGAN networks (Zhu et al., ICCV 2017): a ResNet generator with an
exposed bottleneck, a PatchGAN discriminator and an embedding critic.

Layers follow the paper's appendix and its official code: generator
c7s1-64, d128, d256, R256 x n, u128, u64, c7s1-3 with InstanceNorm, ReLU and
a tanh output; discriminator C64-C128-C256-C512 (4x4, InstanceNorm except on
the first, LeakyReLU 0.2) and a last 4x4 convolution to one channel, whose
receptive field is 70x70 pixels. Padding is zero padding throughout (the
official code uses reflection padding in the generator; zero padding keeps
every layer on :mod:`stargan.conv.functions`, which supports any order of
derivative).
"""
import functools

import chainer
import chainer.functions as F

from stargan.conv import functions as conv
from stargan.conv import links


def check_kernel_size(kernel_size):
    """Raises ValueError unless ``kernel_size`` is an odd int >= 3."""
    if int(kernel_size) != kernel_size or kernel_size < 3 or \
            kernel_size % 2 == 0:
        raise ValueError('kernel_size must be an odd integer >= 3 (3 is the '
                         'paper\'s), got {!r}'.format(kernel_size))


class _Upsample(links.Deconvolution2D):
    """Stride-2 transposed convolution that exactly doubles H and W.

    A k x k kernel (k odd) with padding k // 2 gives ``2h - 1`` rows; the
    paper's fractionally strided convolution adds one output row and column
    (PyTorch's ``output_padding=1``), which ``outsize`` does here.
    """

    def forward(self, x):
        h, w = x.shape[2:]
        return conv.deconvolution_2d(
            x, links.parameter(self.W), links.parameter(self.b), self.stride,
            self.pad, outsize=(2 * h, 2 * w))


class ResnetBlock(chainer.Chain):
    """conv-IN-ReLU-conv-IN plus identity; keeps ``(N, C, H, W)``.

    Args:
        channels (int): Number of channels C.
        kernel_size (int): Odd kernel size (3 in the paper).
    """

    def __init__(self, channels, kernel_size=3):
        super().__init__()
        k, p = kernel_size, kernel_size // 2
        with self.init_scope():
            self.c1 = links.Convolution2D(channels, channels, k, 1, p,
                                          nobias=True)
            self.n1 = links.InstanceNormalization(channels)
            self.c2 = links.Convolution2D(channels, channels, k, 1, p,
                                          nobias=True)
            self.n2 = links.InstanceNormalization(channels)

    def forward(self, x):
        h = F.relu(self.n1(self.c1(x)))
        return x + self.n2(self.c2(h))


class ResnetGenerator(chainer.Chain):
    """One direction of CycleGAN: images of one domain to the other.

    ``encode`` runs c7s1, both downsamplings and the first ``n_res // 2``
    residual blocks; ``decode`` the remaining blocks, both upsamplings and
    c7s1-3 with tanh. The split puts the embedding in the middle of the
    bottleneck, where an embedding critic can align two generators.

    Args:
        conv_dim (int): Channels of the first layer (64 in the paper).
        n_res (int): Residual blocks (9 at 256 px, 6 at 128 px).
        kernel_size (int): Odd kernel size of the residual blocks and the
            down/up-sampling layers (3 in the paper; larger values give the
            "larger convolution kernels" variant).
    """

    def __init__(self, conv_dim=64, n_res=6, kernel_size=3):
        super().__init__()
        check_kernel_size(kernel_size)
        d, k, p = conv_dim, kernel_size, kernel_size // 2
        self.n_encoder_blocks = n_res // 2
        with self.init_scope():
            self.c_in = links.Convolution2D(3, d, 7, 1, 3, nobias=True)
            self.n_in = links.InstanceNormalization(d)
            self.down1 = links.Convolution2D(d, 2 * d, k, 2, p, nobias=True)
            self.n_d1 = links.InstanceNormalization(2 * d)
            self.down2 = links.Convolution2D(2 * d, 4 * d, k, 2, p,
                                             nobias=True)
            self.n_d2 = links.InstanceNormalization(4 * d)
            self.res = chainer.ChainList(
                *[ResnetBlock(4 * d, k) for _ in range(n_res)])
            self.up1 = _Upsample(4 * d, 2 * d, k, 2, p, nobias=True)
            self.n_u1 = links.InstanceNormalization(2 * d)
            self.up2 = _Upsample(2 * d, d, k, 2, p, nobias=True)
            self.n_u2 = links.InstanceNormalization(d)
            self.c_out = links.Convolution2D(d, 3, 7, 1, 3)

    @property
    def embedding_channels(self):
        """Channels of :meth:`encode`'s output (4 x ``conv_dim``)."""
        return self.down2.out_channels

    def encode(self, x):
        """Images to bottleneck embeddings.

        Args:
            x (~chainer.Variable or array): float32 ``(N, 3, H, W)`` in
                [-1, 1]; H and W divisible by 4.

        Returns:
            ~chainer.Variable: float32 ``(N, 4 * conv_dim, H / 4, W / 4)``.
        """
        h = F.relu(self.n_in(self.c_in(x)))
        h = F.relu(self.n_d1(self.down1(h)))
        h = F.relu(self.n_d2(self.down2(h)))
        for block in self.res[:self.n_encoder_blocks]:
            h = block(h)
        return h

    def decode(self, e):
        """Bottleneck embeddings to images of the target domain.

        Args:
            e (~chainer.Variable or array): float32 ``(N, 4 * conv_dim,
                H / 4, W / 4)``.

        Returns:
            ~chainer.Variable: float32 ``(N, 3, H, W)`` in [-1, 1].
        """
        h = e
        for block in self.res[self.n_encoder_blocks:]:
            h = block(h)
        h = F.relu(self.n_u1(self.up1(h)))
        h = F.relu(self.n_u2(self.up2(h)))
        return F.tanh(self.c_out(h))

    def forward(self, x):
        """float32 ``(N, 3, H, W)`` -> float32 ``(N, 3, H, W)`` in [-1, 1]."""
        return self.decode(self.encode(x))


def patch_output_size(image_size, n_layers=3):
    """Side of :class:`PatchDiscriminator`'s score map (any kernel size):
    each stride-2 layer halves (rounding down), each stride-1 one trims 1."""
    return image_size // 2 ** n_layers - 2


class PatchDiscriminator(chainer.Chain):
    """PatchGAN: a map of real/fake scores, one per overlapping patch.

    ``n_layers`` stride-2 convolutions (C64, C128, C256 at the paper's
    ``n_layers=3``), one stride-1 convolution (C512), and a stride-1
    convolution to one channel; channels double per layer up to 8 x
    ``conv_dim``. Kernels are ``kernel_size + 1`` (4 in the paper) with
    padding ``(kernel_size - 1) / 2``, so each stride-2 layer halves the map
    and each stride-1 layer trims one pixel.

    Args:
        conv_dim (int): Channels of the first layer (64 in the paper).
        n_layers (int): Stride-2 layers (3: the 70x70 PatchGAN).
        kernel_size (int): Odd size k; the layers use k + 1 (paper: 3).
        image_size (int): If given, checked to leave a score map.
    """

    def __init__(self, conv_dim=64, n_layers=3, kernel_size=3,
                 image_size=None):
        super().__init__()
        check_kernel_size(kernel_size)
        if image_size is not None and \
                patch_output_size(image_size, n_layers) < 1:
            raise ValueError(
                '{} px images are too small for a PatchGAN with {} stride-2 '
                'layers; use fewer layers or larger images'.format(
                    image_size, n_layers))
        k, p = kernel_size + 1, (kernel_size - 1) // 2
        chans = [3] + [conv_dim * min(2 ** i, 8) for i in range(n_layers + 1)]
        lrelu = functools.partial(F.leaky_relu, slope=0.2)
        with self.init_scope():
            self.body = chainer.Sequential(
                links.Convolution2D(3, chans[1], k, 2, p), lrelu)
            for i in range(1, n_layers + 1):
                stride = 2 if i < n_layers else 1
                self.body.append(links.Convolution2D(
                    chans[i], chans[i + 1], k, stride, p, nobias=True))
                self.body.append(links.InstanceNormalization(chans[i + 1]))
                self.body.append(lrelu)
            self.out = links.Convolution2D(chans[-1], 1, k, 1, p)

    def forward(self, x):
        """Scores patches.

        Args:
            x (~chainer.Variable or array): float32 ``(N, 3, S, S)``.

        Returns:
            ~chainer.Variable: float32 ``(N, 1, P, P)`` raw scores (logits
            for the vanilla loss), ``P = patch_output_size(S, n_layers)``.
        """
        return self.out(self.body(x))


class EmbeddingDiscriminator(chainer.Chain):
    """Critic telling which generator's encoder an embedding came from.

    After XGAN (Royer et al. 2017): trained to separate ``G_AB.encode(a)``
    from ``G_BA.encode(b)`` while the encoders learn to make them
    indistinguishable, pushing both domains into one shared embedding
    space. Two 3x3 convolutions with LeakyReLU 0.2, then a 1x1 convolution
    to one logit per position.

    Args:
        in_channels (int): Embedding channels (4 x the generators'
            ``conv_dim``).
        conv_dim (int): Hidden channels.
    """

    def __init__(self, in_channels, conv_dim=64):
        super().__init__()
        with self.init_scope():
            self.c1 = links.Convolution2D(in_channels, conv_dim, 3, 1, 1)
            self.c2 = links.Convolution2D(conv_dim, conv_dim, 3, 1, 1)
            self.out = links.Convolution2D(conv_dim, 1, 1)

    def forward(self, e):
        """float32 ``(N, C, h, w)`` embeddings -> float32 ``(N, 1, h, w)``
        logits (positive: from domain A's encoder)."""
        h = F.leaky_relu(self.c1(e), 0.2)
        h = F.leaky_relu(self.c2(h), 0.2)
        return self.out(h)
