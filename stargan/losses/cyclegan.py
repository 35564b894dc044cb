"""CycleGAN's loss terms as small pure functions, each returning a Variable.

Adversarial losses come in three kinds (:data:`GAN_LOSSES`): ``'lsgan'``
(least squares, the CycleGAN paper's choice), ``'vanilla'`` (sigmoid
cross-entropy on logits) and ``'wgan-gp'`` (reusing
:mod:`stargan.losses.stargan`).
The first two accept soft discriminator targets, which :func:`soft_targets`
draws (uniform label noise on both the real and the fake side).
"""
import numpy
import chainer
import chainer.functions as F

from stargan.losses import stargan as losses

#: Adversarial loss kinds.
GAN_LOSSES = ('lsgan', 'vanilla', 'wgan-gp')


def check_gan_loss(kind):
    """Raises ValueError for an unknown adversarial loss kind."""
    if kind not in GAN_LOSSES:
        raise ValueError('unknown GAN loss {!r}; choose one of {}'.format(
            kind, ', '.join(GAN_LOSSES)))


def soft_targets(rng, shape, real, eps, dtype=numpy.float32):
    """Discriminator targets with uniform label noise.

    Args:
        rng (numpy.random.RandomState): Source of the draws.
        shape (tuple of int): Shape of the score map, e.g. ``(N, 1, P, P)``.
        real (bool): Targets for real images (near 1) or fakes (near 0).
        eps (float): Noise width in [0, 1); 0 gives exact 1s or 0s without
            drawing from ``rng``.
        dtype: Output dtype.

    Returns:
        numpy.ndarray: ``shape`` values in ``[1 - eps, 1]`` for real,
        ``[0, eps]`` for fake.
    """
    if not 0 <= eps < 1:
        raise ValueError('label noise must be in [0, 1), got {}'.format(eps))
    if eps == 0:
        return numpy.full(shape, 1 if real else 0, dtype=dtype)
    noise = rng.uniform(0, eps, size=shape).astype(dtype)
    return 1 - noise if real else noise


def _bce_with_logits(logits, target):
    """Mean sigmoid cross-entropy with soft targets:
    ``softplus(x) - t * x``, stable for large ``|x|``."""
    return F.mean(F.softplus(logits) - target * logits)


def dis_adv_loss(kind, d_real, d_fake, t_real=1., t_fake=0.):
    """Discriminator's adversarial loss.

    For ``'lsgan'`` and ``'vanilla'`` the real and fake terms are averaged
    (the CycleGAN code halves D's loss so it learns slower than G); for
    ``'wgan-gp'`` it is the critic loss ``E[D(fake)] - E[D(real)]`` and the
    targets are ignored (add :func:`stargan.losses.stargan.gradient_penalty`).

    Args:
        kind (str): One of :data:`GAN_LOSSES`.
        d_real (~chainer.Variable): float32 scores of real images, e.g.
            ``(N, 1, P, P)``.
        d_fake (~chainer.Variable): float32 scores of fakes, same shape.
        t_real (float or array): Real targets (see :func:`soft_targets`).
        t_fake (float or array): Fake targets.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    check_gan_loss(kind)
    if kind == 'wgan-gp':
        return losses.wgan_dis_loss(d_real, d_fake)
    if kind == 'lsgan':
        return 0.5 * (F.mean((d_real - t_real) ** 2)
                      + F.mean((d_fake - t_fake) ** 2))
    return 0.5 * (_bce_with_logits(d_real, t_real)
                  + _bce_with_logits(d_fake, t_fake))


def gen_adv_loss(kind, d_fake):
    """Generator's adversarial loss: make D score the fakes as real.

    Args:
        kind (str): One of :data:`GAN_LOSSES`.
        d_fake (~chainer.Variable): float32 scores of fakes, any shape.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    check_gan_loss(kind)
    if kind == 'wgan-gp':
        return losses.wgan_gen_loss(d_fake)
    if kind == 'lsgan':
        return F.mean((d_fake - 1) ** 2)
    return _bce_with_logits(d_fake, 1.)


def l1_loss(x, y):
    """Mean absolute error between images (the cycle and identity losses).

    Args:
        x (array or ~chainer.Variable): float32 ``(N, C, H, W)`` target.
        y (~chainer.Variable): float32 ``(N, C, H, W)`` estimate.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    return losses.reconstruction_loss(x, y)


def perceptual_loss(features, x, y):
    """Mean L1 distance between two image batches in a feature network.

    Args:
        features (callable): float32 images ``(N, 3, S, S)`` in [-1, 1] ->
            list of feature-map Variables.
        x (array or ~chainer.Variable): float32 ``(N, 3, S, S)`` reference
            (its graph is not needed).
        y (~chainer.Variable): float32 ``(N, 3, S, S)``, differentiated.

    Returns:
        ~chainer.Variable: Scalar float32, the mean over layers.
    """
    with chainer.no_backprop_mode():
        fx = [f.array for f in features(chainer.as_array(x))]
    fy = features(y)
    return sum(F.mean_absolute_error(b, a) for a, b in zip(fx, fy)) / len(fy)


def embedding_dis_loss(logits_a, logits_b):
    """Embedding critic's loss: call A's embeddings 1, B's 0 (sigmoid
    cross-entropy averaged over both).

    Args:
        logits_a (~chainer.Variable): float32 critic logits of
            ``G_AB.encode(a)``, any shape.
        logits_b (~chainer.Variable): float32 logits of ``G_BA.encode(b)``.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    return 0.5 * (_bce_with_logits(logits_a, 1.)
                  + _bce_with_logits(logits_b, 0.))


def embedding_gen_loss(logits, from_a):
    """An encoder's loss against the embedding critic: its embeddings are
    scored on the other domain's label (the critic's target flipped), so it
    learns embeddings the critic cannot place.

    Args:
        logits (~chainer.Variable): float32 critic logits of one encoder's
            embeddings, any shape.
        from_a (bool): They came from ``G_AB.encode`` (target 0) rather
            than ``G_BA.encode`` (target 1).

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    return _bce_with_logits(logits, 0. if from_a else 1.)


def classifier_feature_maps(classifier, x):
    """Feature maps of a :class:`stargan.models.classifier.DomainClassifier`
    after its first layer and each stride-2 stage, for :func:`perceptual_loss`.

    Args:
        classifier (~stargan.models.classifier.DomainClassifier): The network.
        x (~chainer.Variable or array): float32 ``(N, 3, S, S)`` in [-1, 1].

    Returns:
        list of ~chainer.Variable: float32 ``(N, C_i, S / 2**i, S / 2**i)``.
    """
    h = F.leaky_relu(classifier.c0(x), 0.2)
    maps = [h]
    for stage in classifier.stages:
        h = F.leaky_relu(stage(h), 0.2)
        maps.append(h)
    return maps


#: VGG16 layers compared by the perceptual loss (low and middle level, so
#: the loss keeps structure rather than ImageNet class evidence).
VGG_LAYERS = ('conv1_2', 'conv2_2', 'conv3_3')
#: BGR means of the ImageNet images VGG16 was trained on.
_VGG_MEAN_BGR = numpy.array([103.939, 116.779, 123.68], numpy.float32)


def vgg_feature_maps(vgg, x, layers=VGG_LAYERS):
    """Feature maps of a ``chainer.links.VGG16Layers`` for
    :func:`perceptual_loss`; differentiable with respect to ``x``.

    Args:
        vgg (~chainer.links.VGG16Layers): The network.
        x (~chainer.Variable or array): float32 ``(N, 3, S, S)`` RGB in
            [-1, 1]; S >= 16 (three poolings at most before conv3_3).
        layers (sequence of str): Layer names of ``vgg``.

    Returns:
        list of ~chainer.Variable: One float32 map per layer.
    """
    xp = chainer.backend.get_array_module(x)
    mean = xp.asarray(_VGG_MEAN_BGR).reshape(1, 3, 1, 1)
    # [-1, 1] RGB to the 0-255 mean-subtracted BGR the network expects.
    bgr = (x[:, ::-1] + 1) * 127.5 - mean
    out = vgg.forward(bgr, layers=list(layers))
    return [out[name] for name in layers]
