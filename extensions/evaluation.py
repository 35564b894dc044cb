"""Evaluation wiring: the cached domain classifier, EvalData from datasets,
and a Trainer extension reporting the main metrics."""
import hashlib
import json
import os

import numpy

import chainer
from chainer import training

from extensions import atomic
from extensions import snapshots
from stargan import classifier as clf_lib
from stargan import metrics

#: Metrics the training-time extension reports (cheap enough to repeat).
TRAINING_METRICS = ('target_accuracy', 'feature_distances', 'reconstruction')


def dataset_arrays(dataset, limit=None):
    """Stacks a dataset's examples into arrays.

    Args:
        dataset: Yields ``(image (3, S, S), label (L,))``.
        limit (int): Take at most this many (the first ones).

    Returns:
        tuple: float32 images ``(N, 3, S, S)``, labels ``(N, L)``.
    """
    n = len(dataset) if limit is None else min(limit, len(dataset))
    xs, cs = zip(*(dataset[i] for i in range(n)))
    return (numpy.stack(xs).astype(numpy.float32),
            numpy.stack(cs).astype(numpy.float32))


def _cache_key(x, c, options):
    h = hashlib.sha256()
    for a in (x, c):
        h.update(numpy.ascontiguousarray(a).tobytes())
    h.update(json.dumps(options, sort_keys=True).encode())
    return h.hexdigest()[:16]


def get_classifier(x, c, group_sizes, x_test, c_test, cache_dir=None,
                   iterations=600, width=16, seed=0, device='@numpy'):
    """Trains the judge on real training images, or loads it from the cache.

    The cache key hashes the training images, labels and options, so a
    changed dataset or option trains a new classifier.

    Args:
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` real training images.
        c (numpy.ndarray): float32 ``(N, L)`` their labels.
        group_sizes (sequence of int): Label layout.
        x_test (numpy.ndarray): Held-out real images for its own accuracy.
        c_test (numpy.ndarray): Their labels.
        cache_dir (str): Where to keep classifiers (None: no cache).
        iterations (int): Training steps.
        width (int): Classifier width.
        seed (int): Training seed.
        device: ``chainer.get_device`` specifier.

    Returns:
        tuple: ``(DomainClassifier, held-out accuracy float)``.
    """
    options = dict(iterations=iterations, width=width, seed=seed,
                   group_sizes=list(group_sizes))
    path = None
    if cache_dir:
        key = _cache_key(x, c, options)
        path = os.path.join(cache_dir, 'classifier-{}.npz'.format(key))
    clf = clf_lib.DomainClassifier(c.shape[1], width=width)
    if path and os.path.exists(path):
        snapshots.load_npz(path, clf)
        clf.to_device(device)
    else:
        clf = clf_lib.train_classifier(x, c, group_sizes, iterations,
                                       width=width, seed=seed, device=device)
        if path:
            with atomic.atomic_open(path) as f:
                chainer.serializers.save_npz(f, clf)
    return clf, clf_lib.accuracy(clf, x_test, c_test, group_sizes)


def make_eval_data(generator, classifier, x, c, group_sizes, label_names,
                   device='@numpy', ground_truth=None):
    """Translates test images every way and bundles what metrics need.

    Args:
        generator (callable): ``G(x, c)``.
        classifier (~stargan.classifier.DomainClassifier): The judge.
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` test images.
        c (numpy.ndarray): float32 ``(N, L)`` their labels.
        group_sizes (sequence of int): Label layout.
        label_names (sequence of str): Label names.
        device: Where the generator lives.
        ground_truth (callable): See :class:`stargan.metrics.EvalData`.

    Returns:
        ~stargan.metrics.EvalData: Ready for :func:`stargan.metrics.compute`.
    """
    targets, c_trg, fake, rec, changed = metrics.translate_everything(
        generator, x, c, group_sizes, device)
    return metrics.EvalData(
        x=x, c_org=c, group_sizes=list(group_sizes),
        label_names=list(label_names), targets=targets, c_trg=c_trg,
        fake=fake, rec=rec, changed=changed,
        classify=lambda imgs: clf_lib.predict(classifier, imgs),
        features=lambda imgs: clf_lib.predict(classifier, imgs,
                                              features=True),
        ground_truth=ground_truth)


class Evaluate(training.Extension):
    """Reports ``eval/<metric>`` for a fixed set of test images.

    Runs before LogReport in the same iteration, so the values appear in the
    log and can be plotted.

    Args:
        generator (callable): The generator being trained.
        classifier (~stargan.classifier.DomainClassifier): The judge.
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` fixed test images.
        c (numpy.ndarray): float32 ``(N, L)`` their labels.
        group_sizes (sequence of int): Label layout.
        label_names (sequence of str): Label names.
        device: Where the generator lives.
        names (sequence of str): Metrics to run.
    """

    priority = training.PRIORITY_WRITER

    def __init__(self, generator, classifier, x, c, group_sizes, label_names,
                 device='@numpy', names=TRAINING_METRICS):
        self.generator, self.classifier = generator, classifier
        self.x, self.c = x, c
        self.group_sizes, self.label_names = group_sizes, label_names
        self.device, self.names = device, list(names)

    def evaluate(self):
        """Returns the scalar metrics as ``{'eval/<name>': float}``."""
        data = make_eval_data(self.generator, self.classifier, self.x,
                              self.c, self.group_sizes, self.label_names,
                              self.device)
        result = metrics.compute(data, self.names)
        return {'eval/' + k: v for k, v in result.items()
                if isinstance(v, float)}

    def __call__(self, trainer):
        chainer.report(self.evaluate())
