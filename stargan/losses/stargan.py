"""StarGAN's loss terms as small pure functions, each returning a Variable."""
import chainer
import chainer.functions as F

from stargan.labels import groups as label_utils


def wgan_dis_loss(src_real, src_fake):
    """Critic loss of WGAN: ``-E[D(x)] + E[D(G(x))]``.

    Args:
        src_real (~chainer.Variable): Critic scores of real images, any shape.
        src_fake (~chainer.Variable): Critic scores of fakes, any shape.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    return F.mean(src_fake) - F.mean(src_real)


def wgan_gen_loss(src_fake):
    """Generator loss of WGAN: ``-E[D(G(x))]``.

    Args:
        src_fake (~chainer.Variable): Critic scores of fakes, any shape.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    return -F.mean(src_fake)


def logistic_dis_loss(src_real, src_fake):
    """Non-saturating logistic loss of D (Goodfellow et al. 2014, as
    StarGAN v2 uses it): ``E[softplus(-D(x))] + E[softplus(D(G(x)))]``.

    Args:
        src_real (~chainer.Variable): Logits of real images, any shape.
        src_fake (~chainer.Variable): Logits of fakes, any shape.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    return F.mean(F.softplus(-src_real)) + F.mean(F.softplus(src_fake))


def logistic_gen_loss(src_fake):
    """Non-saturating generator loss: ``E[softplus(-D(G(x)))]``.

    Args:
        src_fake (~chainer.Variable): Logits of fakes, any shape.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    return F.mean(F.softplus(-src_fake))


def r1_penalty(src_real, x_real):
    """R1 penalty (Mescheder et al. 2018) ``E[||grad_x D(x)||_2^2]`` on
    real images, without the usual factor 1/2 (the caller's weight has it).

    ``D(x)`` is the mean of each image's logit map (a PatchGAN critic gives
    a map), so the penalty does not grow with the map's size. The gradient
    is taken with ``enable_double_backprop=True``, so the penalty can be
    differentiated with respect to D's parameters.

    Args:
        src_real (~chainer.Variable): float32 ``(N, ...)`` logits computed
            from ``x_real``.
        x_real (~chainer.Variable): float32 ``(N, C, H, W)``, the input
            ``src_real`` was computed from.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    n = src_real.shape[0]
    per_image = F.mean(F.reshape(src_real, (n, -1)), axis=1)
    grad, = chainer.grad([F.sum(per_image)], [x_real],
                         enable_double_backprop=True)
    return F.sum(grad * grad) / n


#: StarGAN's adversarial objectives: name -> (D's loss, G's loss). The
#: penalty that goes with each is the updater's: WGAN-GP's at interpolates,
#: R1 at the reals.
ADVERSARIAL = {'wgan-gp': (wgan_dis_loss, wgan_gen_loss),
               'r1': (logistic_dis_loss, logistic_gen_loss)}


def domain_scores(src, c):
    """Each image's real/fake map for its own domain.

    A one-map critic scores every domain alike, so its map is returned as
    it is. A per-domain critic (L maps) is asked how real each image looks
    as an image of its domain (StarGAN v2): the map of the label set in
    ``c``, taken as a masked sum, so no per-image indexing runs.

    Args:
        src (~chainer.Variable): float32 ``(N, 1 or L, H, W)`` scores.
        c (array): float32 ``(N, L)`` one-hot domains (the image's own for
            reals, the target for translations).

    Returns:
        ~chainer.Variable: float32 ``(N, 1, H, W)``.
    """
    if src.shape[1] == 1:
        return src
    return F.sum(src * c[:, :, None, None], axis=1, keepdims=True)


def interpolate(x_real, x_fake, alpha):
    """Points on the lines between real and fake images.

    Args:
        x_real (array or ~chainer.Variable): float32 ``(N, C, H, W)``.
        x_fake (array or ~chainer.Variable): float32 ``(N, C, H, W)``.
        alpha (array): float32 ``(N, 1, 1, 1)`` in [0, 1]; 1 gives x_real.

    Returns:
        ~chainer.Variable: float32 ``(N, C, H, W)`` with no history, ready
        to be differentiated against.
    """
    x_real = chainer.as_array(x_real)
    x_fake = chainer.as_array(x_fake)
    return chainer.Variable(alpha * x_real + (1 - alpha) * x_fake)


def gradient_penalty(critic, x_hat, eps=1e-12):
    """WGAN-GP penalty ``E[(||grad_x critic(x_hat)||_2 - 1)^2]``.

    The gradient is taken with ``enable_double_backprop=True`` so that the
    penalty itself can be differentiated with respect to the critic's
    parameters.

    Args:
        critic (callable): Maps ``x_hat`` to scores ``(N, ...)``; each
            sample's scores are summed (a PatchGAN critic gives a map).
        x_hat (~chainer.Variable): float32 ``(N, C, H, W)`` points.
        eps (float): Keeps the square root differentiable at a zero gradient.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    scores = critic(x_hat)
    grad, = chainer.grad([F.sum(scores)], [x_hat],
                         enable_double_backprop=True)
    grad = F.reshape(grad, (grad.shape[0], -1))
    norm = F.sqrt(F.sum(grad * grad, axis=1) + eps)
    return F.mean((norm - 1) ** 2)


def classification_loss(logits, labels, group_sizes, mask=None):
    """Domain-classification loss of the auxiliary classifier.

    A single exclusive group (one domain per image) uses softmax
    cross-entropy; anything else (several groups, binary attributes) uses
    sigmoid cross-entropy summed over labels and averaged over the batch, as
    the StarGAN paper does for CelebA.

    With a ``mask`` (joint training on several datasets, see
    :mod:`stargan.labels.joint`) only the masked label positions count, and
    each sample gets the loss its own dataset would get on its own: when a
    sample's mask covers exactly one exclusive group (an expression dataset
    inside the joint vector), softmax cross-entropy over that group;
    otherwise sigmoid cross-entropy summed over the masked positions. The
    mean is over the batch. So a batch from one dataset has the same loss as
    when that dataset is trained alone, unknown labels of the other
    datasets never contribute (their logits get no gradient), and the
    paper's joint CelebA + RaFD setting (sigmoid for CelebA, softmax for
    RaFD's expressions) falls out of the layout.

    Args:
        logits (~chainer.Variable): float32 ``(N, L)``.
        labels (array): float32 ``(N, L)`` 0/1 targets.
        group_sizes (sequence of int): Label layout, ``sum == L``.
        mask (array or None): float32 ``(L,)`` or ``(N, L)``, 1 where a
            label is known; ``None`` counts every label.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    labels = chainer.as_array(labels)
    if mask is None:
        if not label_utils.is_multi_label(group_sizes):
            return F.softmax_cross_entropy(logits, labels.argmax(axis=1))
        return F.sigmoid_cross_entropy(logits, labels.astype('i'),
                                       normalize=False)
    return _masked_classification_loss(logits, labels, group_sizes, mask)


def _masked_classification_loss(logits, labels, group_sizes, mask):
    xp = chainer.backend.get_array_module(labels)
    mask = xp.broadcast_to(xp.asarray(chainer.as_array(mask)),
                           labels.shape).astype(logits.dtype)
    per_label = F.sigmoid_cross_entropy(logits, labels.astype('i'),
                                        normalize=False, reduce='no')
    per_sample = F.sum(per_label * mask, axis=1)
    for sl, size in zip(label_utils.group_slices(group_sizes), group_sizes):
        if size == 1:
            continue
        # Samples whose known labels are exactly this exclusive group.
        inside = mask[:, sl].min(axis=1) > 0
        outside = mask.sum(axis=1) - mask[:, sl].sum(axis=1) == 0
        # No test whether any sample is one (it would wait for the device
        # every step): where() keeps per_sample for the others anyway.
        exclusive = inside & outside
        log_p = F.log_softmax(logits[:, sl])
        softmax_ce = -F.sum(log_p * labels[:, sl].astype(logits.dtype),
                            axis=1)
        per_sample = F.where(exclusive, softmax_ce, per_sample)
    return F.mean(per_sample)


def reconstruction_loss(x, x_rec):
    """Mean absolute error between images and their reconstructions.

    Args:
        x (array or ~chainer.Variable): float32 ``(N, C, H, W)``.
        x_rec (~chainer.Variable): float32 ``(N, C, H, W)``.

    Returns:
        ~chainer.Variable: Scalar float32.
    """
    return F.mean_absolute_error(x_rec, chainer.as_array(x))
