"""Evaluation wiring: the cached domain classifier, EvalData from datasets,
and a Trainer extension reporting the main metrics."""
import hashlib
import json
import os
import sys

import numpy

import chainer
from chainer import training

from datasets import atomic
from faceapp import progress
from faceapp import snapshots
from stargan.labels import groups as label_utils
from stargan import metrics
from stargan.models import classifier as clf_lib

#: Metrics the training-time extension reports (cheap enough to repeat).
TRAINING_METRICS = ('target_accuracy', 'feature_distances', 'reconstruction')

#: A judge must beat chance by this factor on real test images, else its
#: verdicts are flagged as not meaningful.
JUDGE_MIN_OVER_CHANCE = 1.5


class JudgeStopped(Exception):
    """A stop was requested while the judge trained; nothing was cached."""


def judge_warning(accuracy, group_sizes):
    """The warning line for a judge too weak to trust, or None.

    Args:
        accuracy (float): The judge's accuracy on real test images.
        group_sizes (sequence of int): Label layout (gives chance).

    Returns:
        str or None: One line naming its accuracy and chance.
    """
    chance = label_utils.chance_accuracy(group_sizes)
    if accuracy >= JUDGE_MIN_OVER_CHANCE * chance:
        return None
    return ('warning: judge accuracy {:.1%} on real test images is below '
            '{}x chance ({:.1%}, chance {:.1%}): its numbers are not '
            'meaningful; train it longer (--classifier-iterations)'.format(
                accuracy, JUDGE_MIN_OVER_CHANCE,
                JUDGE_MIN_OVER_CHANCE * chance, chance))


def judge_progress(should_stop=None, stream=None):
    """A ``train_classifier`` callback: draws "training the evaluation
    classifier [###...] i/N" and honours stop requests between steps.

    Args:
        should_stop (callable): Returns True once a stop was requested
            (e.g. a SIGINT caught by the run); None: never.
        stream (file): Where to draw (default: ``sys.stderr``).

    Returns:
        callable: ``(step, iterations)``; raises :class:`JudgeStopped`.
    """
    stream = stream or sys.stderr
    bar = progress.TextProgress(stream, 'training the evaluation classifier')

    def callback(step, iterations):
        bar(step, iterations)
        if should_stop is not None and should_stop():
            stream.write('\n')
            raise JudgeStopped(
                'stop requested while training the evaluation classifier '
                '(step {}/{}); it was not cached'.format(step, iterations))
    return callback


def default_cache_dir():
    """``$XDG_CACHE_HOME/stargan-chainer`` (``~/.cache/...`` by default)."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'stargan-chainer')


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
                   iterations=600, width=16, seed=0, device='@numpy',
                   callback=None):
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
        callback (callable): Passed to
            :func:`stargan.models.classifier.train_classifier` (progress, stop
            requests); unused when the judge comes from the cache.

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
    if path and os.path.exists(path) and _load_cached(path, clf):
        clf.to_device(device)
    else:
        clf = clf_lib.train_classifier(x, c, group_sizes, iterations,
                                       width=width, seed=seed, device=device,
                                       callback=callback)
        if path:
            with atomic.atomic_open(path) as f:
                chainer.serializers.save_npz(f, clf)
    return clf, clf_lib.accuracy(clf, x_test, c_test, group_sizes)


def _load_cached(path, clf):
    """Loads the cached judge into ``clf``; False (saying why) when the file
    is refused: a cache is rebuilt, never unpickled nor a dead end."""
    try:
        snapshots.load_npz(path, clf)
        return True
    except snapshots.UnsafeFileError as e:
        print('warning: not using the cached judge: {} Training a new one '
              'in its place.'.format(e), file=sys.stderr, flush=True)
        return False


def make_eval_data(generator, classifier, x, c, group_sizes, label_names,
                   device='@numpy', ground_truth=None):
    """Translates test images every way and bundles what metrics need.

    Args:
        generator (callable): ``G(x, c)``.
        classifier (~stargan.models.classifier.DomainClassifier): The judge.
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
    log and can be plotted; ``eval/judge_accuracy`` is the judge's accuracy
    on real test images. The judging classifier is obtained on the first
    call, so training starts without waiting for it; a stop requested while
    it trains skips that evaluation.

    Args:
        generator (callable): The generator being trained.
        get_judge (callable): Returns the
            :class:`~stargan.models.classifier.DomainClassifier` and its
            accuracy on real test images (called once, see :func:`judge_for`).
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` fixed test images.
        c (numpy.ndarray): float32 ``(N, L)`` their labels.
        group_sizes (sequence of int): Label layout.
        label_names (sequence of str): Label names.
        device: Where the generator lives.
        names (sequence of str): Metrics to run.
    """

    priority = training.PRIORITY_WRITER

    def __init__(self, generator, get_judge, x, c, group_sizes, label_names,
                 device='@numpy', names=TRAINING_METRICS):
        self.generator, self.get_judge, self.judge = generator, get_judge, None
        self.judge_accuracy = None
        self.x, self.c = x, c
        self.group_sizes, self.label_names = group_sizes, label_names
        self.device, self.names = device, list(names)

    def prepare(self):
        """Trains or loads the judge now (else on the first evaluation)."""
        if self.judge is None:
            self.judge, self.judge_accuracy = self.get_judge()

    def evaluate(self):
        """Returns the scalar metrics as ``{'eval/<name>': float}``."""
        self.prepare()
        data = make_eval_data(self.generator, self.judge, self.x, self.c,
                              self.group_sizes, self.label_names,
                              self.device)
        result = metrics.compute(data, self.names)
        result['judge_accuracy'] = self.judge_accuracy
        return {'eval/' + k: v for k, v in result.items()
                if isinstance(v, float)}

    def __call__(self, trainer):
        report_unless_stopped(self.evaluate)


def report_unless_stopped(evaluate):
    """``chainer.report(evaluate())``, or a line saying why not when a stop
    came while the judge trained (the run then stops as asked)."""
    try:
        chainer.report(evaluate())
    except JudgeStopped as e:
        print('Evaluation skipped: {}'.format(e), flush=True)


def judge_for(train, test, n_test, cache_dir, iterations, seed, device,
              should_stop=None):
    """A zero-argument function that trains or loads the judge for a run.

    Args:
        train: Training dataset (the judge learns its real images).
        test: Test dataset (its first ``n_test`` images measure the judge).
        n_test (int): Test images used.
        cache_dir (str): Classifier cache (None: no cache).
        iterations (int): Classifier training steps.
        seed (int): Classifier seed.
        device: ``chainer.get_device`` specifier.
        should_stop (callable): Returns True once the run was asked to
            stop; checked between the judge's training steps.

    Returns:
        callable: Returns the classifier and its held-out accuracy,
        printing the accuracy (and a warning for a judge near chance);
        raises :class:`JudgeStopped` on a stop request.
    """
    def get():
        print('Training or loading the judging domain classifier...',
              flush=True)
        x, c = dataset_arrays(train)
        x_test, c_test = dataset_arrays(test, n_test)
        sizes = [len(v) for _, v in train.attribute_groups]
        clf, acc = get_classifier(x, c, sizes, x_test, c_test, cache_dir,
                                  iterations, seed=seed, device=device,
                                  callback=judge_progress(should_stop))
        print('Judge accuracy on real test images: {:.3f}'.format(acc),
              flush=True)
        warning = judge_warning(acc, sizes)
        if warning:
            print(warning, flush=True)
        return clf, acc
    return get
