"""The judging domain classifier of a run: trained on its real images or
loaded from the cache, with progress, stop requests and a warning near
chance."""
import hashlib
import json
import os
import sys

import numpy

import chainer

from datasets import atomic
from extensions import evaluation
from faceapp import progress
from faceapp import snapshots
from stargan.labels import groups as label_utils
from stargan.models import classifier as clf_lib


#: A judge must beat chance by this factor on real test images, else its
#: verdicts are flagged as not meaningful.
JUDGE_MIN_OVER_CHANCE = 1.5


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
            raise evaluation.JudgeStopped(
                'stop requested while training the evaluation classifier '
                '(step {}/{}); it was not cached'.format(step, iterations))
    return callback


def default_cache_dir():
    """``$XDG_CACHE_HOME/stargan-chainer`` (``~/.cache/...`` by default)."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'stargan-chainer')


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


def judge_for(train, test, n_test, cache_dir, iterations, seed, device,
              should_stop=None):
    """A zero-argument function that trains or loads the judge for a run.

    Args:
        train: Training dataset (the judge learns its real images).
        test: Test dataset (``n_test`` of its images, spread over it,
            measure the judge).
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
        x, c = evaluation.dataset_arrays(train)
        x_test, c_test = evaluation.dataset_arrays(test, n_test)
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


def judges_for(train, test, n_test, cache_dir, iterations, seed, device,
               should_stop=None):
    """One judge getter per dataset (see :func:`evaluation.judge_for`)."""
    return [judge_for(train.datasets[k], test.datasets[k], n_test,
                                 cache_dir, iterations, seed, device,
                                 should_stop)
            for k in range(len(train.datasets))]
