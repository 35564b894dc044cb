"""A small CNN domain classifier: the judge of whether translations worked.

Following the StarGAN paper's evaluation protocol, a classifier trained on
real training images labels translated images; the share assigned to the
intended target domain measures how well the generator translates.
"""
import numpy

import chainer
import chainer.functions as F
from chainer import initializers
import chainer.links as L

from stargan.conv import links
from stargan.forward import forward_in_batches
from stargan.labels import groups as label_utils
from stargan.losses import stargan as losses


class DomainClassifier(chainer.Chain):
    """conv3x3 then stride-2 conv4x4 stages, global average pool, linear.

    Args:
        n_labels (int): Length L of the label vector.
        width (int): Channels of the first stage (doubling per stage).
        n_stages (int): Stride-2 stages.
        rng (numpy.random.RandomState): Initialisation stream (default:
            numpy's global one, like chainer's own initializers).
    """

    def __init__(self, n_labels, width=16, n_stages=3, rng=None):
        super().__init__()
        chans = [width * 2 ** i for i in range(n_stages + 1)]
        init = initializers.LeCunNormal(rng=rng) if rng is not None else None
        with self.init_scope():
            self.c0 = links.Convolution2D(3, chans[0], 3, 1, 1,
                                          initialW=init)
            self.stages = chainer.Sequential(*[
                links.Convolution2D(a, b, 4, 2, 1, initialW=init)
                for a, b in zip(chans[:-1], chans[1:])])
            self.fc = L.Linear(chans[-1], n_labels, initialW=init)

    def features(self, x):
        """Penultimate features: float32 ``(N, 3, S, S)`` -> ``(N, F)``."""
        h = F.leaky_relu(self.c0(x), 0.2)
        for stage in self.stages:
            h = F.leaky_relu(stage(h), 0.2)
        return F.mean(h, axis=(2, 3))

    def forward(self, x):
        """Logits: float32 ``(N, 3, S, S)`` -> float32 ``(N, L)``."""
        return self.fc(self.features(x))


def train_classifier(images, labels, group_sizes, iterations=300,
                     batch_size=32, lr=1e-3, seed=0, device='@numpy',
                     callback=None, **kwargs):
    """Fits a :class:`DomainClassifier` to labelled real images.

    Args:
        images (numpy.ndarray): float32 ``(N, 3, S, S)`` in [-1, 1].
        labels (numpy.ndarray): float32 ``(N, L)``.
        group_sizes (sequence of int): Label layout.
        iterations (int): Adam steps.
        batch_size (int): Images per step.
        lr (float): Adam learning rate.
        seed (int): Initialisation and batch order.
        device: ``chainer.get_device`` specifier.
        callback (callable): Called as ``callback(step, iterations)`` after
            each step (1-based), e.g. to show progress; it may raise to
            abandon the training (a stop request).
        **kwargs: Passed to :class:`DomainClassifier`.

    Returns:
        DomainClassifier: The trained classifier, on ``device``.
    """
    device = chainer.get_device(device)
    rng = numpy.random.RandomState(seed)
    clf = DomainClassifier(labels.shape[1], rng=rng, **kwargs)
    clf.to_device(device)
    opt = chainer.optimizers.Adam(lr)
    opt.setup(clf)
    for step in range(1, iterations + 1):
        idx = rng.randint(0, len(images), size=batch_size)
        x = device.send(_augment(images[idx], rng))
        c = device.send(labels[idx])
        opt.update(lambda: losses.classification_loss(clf(x), c,
                                                      group_sizes))
        if callback is not None:
            callback(step, iterations)
    return clf


def _augment(x, rng, max_noise=0.3):
    """Random mirror, +-2 px shift and pixel noise.

    The judge must read expressions (shapes of mouths, eyes, brows), not
    exact pixel positions or texture: early generators produce noisy images
    whose domain a clean-data classifier would guess erratically.
    """
    if rng.randint(2):
        x = x[..., ::-1]
    dy, dx = rng.randint(-2, 3, size=2)
    x = numpy.roll(x, (dy, dx), axis=(2, 3))
    sigma = rng.uniform(0, max_noise, size=(len(x), 1, 1, 1))
    noise = sigma * rng.standard_normal(x.shape)
    return numpy.clip(x + noise, -1, 1).astype(numpy.float32)


def predict(classifier, images, batch_size=64, features=False):
    """Logits (or penultimate features) for many images without a graph.

    Args:
        classifier (DomainClassifier): On the device the images go to.
        images (numpy.ndarray): float32 ``(N, 3, S, S)``.
        batch_size (int): Images per forward pass.
        features (bool): Return features ``(N, F)`` instead of logits.

    Returns:
        numpy.ndarray: float32 ``(N, L)`` logits or ``(N, F)`` features.
    """
    fn = classifier.features if features else classifier
    return forward_in_batches(fn, (images,), classifier.device, batch_size)


def accuracy(classifier, images, labels, group_sizes):
    """Share of label groups the classifier predicts right (a float)."""
    return label_utils.accuracy(predict(classifier, images), labels,
                                group_sizes)
