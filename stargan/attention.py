"""Attention-mask generator (GANimation, Pumarola et al. 2018) and its
mask losses.

The generator paints a colour image ``C`` and a one-channel mask ``A`` in
[0, 1], and its result is ``A * C + (1 - A) * x``: where ``A`` is 0 the
input pixel is kept exactly (skin, background, identity), where it is 1 the
colour replaces it. Two losses shape the mask:

* :func:`mask_loss`, its mean (an L1 norm, ``A >= 0``), pushes ``A``
  towards 0 so that G changes only what the target needs;
* :func:`mask_tv_loss`, its total variation, makes masks smooth regions
  rather than speckle.

The mean loss has a trivial minimum, ``A = 0`` everywhere: G then is the
identity, which also reconstructs perfectly. What stops that is the
domain-classification loss (an unchanged image is classified as its own
domain, not the target): the mask weight must stay well below
``lambda_cls`` or G learns to do nothing. Watch ``gen/loss_mask`` falling
towards 0 together with ``gen/loss_cls`` rising: that is the collapse.
"""
import chainer.functions as F

from stargan.conv import links
from stargan.models import stargan as networks

#: Default weight of :func:`mask_loss`. A starting value, not a measured
#: one (nor GANimation's, whose losses are scaled differently): with
#: ``lambda_cls`` 1, repainting every pixel costs 0.1, against a
#: classification loss of ln 5 = 1.6 for a target missed at chance among
#: five domains.
LAMBDA_MASK = 0.1
#: Default weight of :func:`mask_tv_loss`; a starting value to be measured.
LAMBDA_MASK_TV = 0.1


def compose(x, colour, mask):
    """Blends the painted colour into the input where the mask says.

    ``mask * colour + (1 - mask) * x``, written so that a mask of exactly 0
    gives ``x`` and exactly 1 gives ``colour``, bit for bit.

    Args:
        x (~chainer.Variable or array): float32 ``(N, 3, H, W)`` input.
        colour (~chainer.Variable): float32 ``(N, 3, H, W)`` painted image.
        mask (~chainer.Variable): float32 ``(N, 1, H, W)`` in [0, 1].

    Returns:
        ~chainer.Variable: float32 ``(N, 3, H, W)``.
    """
    a = F.broadcast_to(mask, colour.shape)
    return a * colour + (1. - a) * x


def mask_loss(mask):
    """The mask's mean: 0 when G keeps every pixel, 1 when it repaints all.

    Args:
        mask (~chainer.Variable): float32 ``(N, 1, H, W)`` in [0, 1].

    Returns:
        ~chainer.Variable: float32 scalar.
    """
    return F.mean(mask)


def mask_tv_loss(mask):
    """Total variation of the mask: the mean absolute difference between
    vertical neighbours plus that between horizontal neighbours.

    Means rather than sums, so the value (and its weight) does not grow
    with the image size: a mask of one sharp vertical edge across an
    ``S x S`` image scores ``1 / (S - 1)``.

    Args:
        mask (~chainer.Variable): float32 ``(N, 1, H, W)``, H and W >= 2.

    Returns:
        ~chainer.Variable: float32 scalar.
    """
    down = F.absolute(mask[:, :, 1:, :] - mask[:, :, :-1, :])
    right = F.absolute(mask[:, :, :, 1:] - mask[:, :, :, :-1])
    return F.mean(down) + F.mean(right)


def mask_losses(masks):
    """Both mask losses averaged over several masks (those of G's
    translation and of its reconstruction: both should keep what they need
    not change).

    Args:
        masks (sequence of ~chainer.Variable): float32 ``(N, 1, H, W)``.

    Returns:
        dict: ``{'loss_mask': ..., 'loss_mask_tv': ...}``, float32 scalars.
    """
    n = float(len(masks))
    return {'loss_mask': sum(mask_loss(a) for a in masks) / n,
            'loss_mask_tv': sum(mask_tv_loss(a) for a in masks) / n}


class MaskedGenerator(networks.Generator):
    """:class:`~stargan.models.stargan.Generator` with a mask head: the
    base of the generators whose result a mask places.

    ``a_out``, a conv7x7 from the trunk's last features to one channel with
    a bias, followed by a sigmoid, is the mask head (:meth:`mask`).
    Subclasses define :meth:`forward_with_mask`.

    Args:
        c_dim (int): Length L of the label vector.
        conv_dim (int): Channels of the first layer.
        n_res (int): Residual blocks at the bottleneck.
        upsample (str): The trunk's upsampling (see
            :data:`stargan.models.stargan.UPSAMPLES`).
    """

    def __init__(self, c_dim, conv_dim=64, n_res=6, upsample='deconv'):
        super().__init__(c_dim, conv_dim, n_res, upsample)
        with self.init_scope():
            self.a_out = links.Convolution2D(conv_dim, 1, 7, 1, 3)

    def forward(self, x, c):
        """The translation alone: ``forward_with_mask(x, c)[0]``, shaped as
        :meth:`stargan.models.stargan.Generator.forward`'s."""
        return self.forward_with_mask(x, c)[0]

    def mask(self, h):
        """The mask of the trunk's features ``h`` (float32 ``(N, conv_dim,
        H, W)``): float32 ``(N, 1, H, W)`` in [0, 1]."""
        return F.sigmoid(self.a_out(h))

    def forward_with_mask(self, x, c):
        """The translation and the mask that placed it.

        Args:
            x (~chainer.Variable or array): float32 ``(N, 3, H, W)`` in
                [-1, 1]; H and W divisible by 4.
            c (~chainer.Variable or array): float32 ``(N, L)`` targets.

        Returns:
            tuple: float32 ``(N, 3, H, W)`` translations in [-1, 1] and
            float32 ``(N, 1, H, W)`` masks in [0, 1] (Variables).
        """
        raise NotImplementedError


class AttentionGenerator(MaskedGenerator):
    """A :class:`MaskedGenerator` that paints where its mask says.

    The trunk is the plain generator's (same layers and parameter names, so
    ``c_out`` is the colour head); the result is :func:`compose` of the
    input, the painted colour and the mask.
    """

    def forward_with_mask(self, x, c):
        """:meth:`MaskedGenerator.forward_with_mask`: the painted colour
        composed with the input (:func:`compose`)."""
        h = self.features(x, c)
        mask = self.mask(h)
        return compose(x, F.tanh(self.c_out(h)), mask), mask


def with_mask(generator, x, c):
    """``generator(x, c)`` with its mask, for code that shows or penalises
    masks whatever the generator kind.

    Args:
        generator (callable): A generator of
            :data:`stargan.generators.GENERATORS` (or its average, which
            is of the same class).
        x (~chainer.Variable or array): float32 ``(N, 3, H, W)``.
        c (~chainer.Variable or array): float32 ``(N, L)``.

    Returns:
        tuple: The float32 ``(N, 3, H, W)`` translation and its float32
        ``(N, 1, H, W)`` mask, or None for a generator without one.
    """
    paint = getattr(generator, 'forward_with_mask', None)
    return (generator(x, c), None) if paint is None else paint(x, c)

