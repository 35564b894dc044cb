"""Evaluation during training: EvalData from datasets and a Trainer
extension reporting the main metrics (the judging classifier itself comes
from :mod:`faceapp.judging`)."""

import dataclasses
import functools

import numpy

import chainer
from chainer import training

from stargan import forward
from stargan.labels import groups as label_utils
from stargan import metrics
from stargan.models import classifier as clf_lib

#: Metrics the training-time extension reports (cheap enough to repeat).
TRAINING_METRICS = ('target_accuracy', 'feature_distances', 'reconstruction')


class JudgeStopped(Exception):
    """A stop was requested while the judge trained; nothing was cached."""


def dataset_rows(dataset, limit=None):
    """The rows :func:`dataset_arrays` takes: all of them, or ``limit``
    rows spread evenly over the dataset.

    Folder datasets list their images domain by domain, so the first
    ``limit`` rows would hold one or two domains only; evenly spread rows
    give every domain its share.

    Args:
        dataset: Anything with ``len``.
        limit (int or None): How many rows (None: all).

    Returns:
        numpy.ndarray: int64 ``(min(limit, len(dataset)),)``, increasing.
    """
    total = len(dataset)
    n = total if limit is None else min(limit, total)
    return (numpy.arange(n, dtype=numpy.int64) * total) // max(n, 1)


def dataset_arrays(dataset, limit=None):
    """Stacks a dataset's examples into arrays.

    Args:
        dataset: Yields ``(image (3, S, S), label (L,))``.
        limit (int): Take at most this many, spread evenly over the
            dataset (:func:`dataset_rows`).

    Returns:
        tuple: float32 images ``(N, 3, S, S)``, labels ``(N, L)``.
    """
    xs, cs = zip(*(dataset[int(i)] for i in dataset_rows(dataset, limit)))
    return (numpy.stack(xs).astype(numpy.float32),
            numpy.stack(cs).astype(numpy.float32))


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


def discriminator_logits(discriminator, x, device='@numpy', batch_size=32):
    """D's class logits for many images, in test mode without a graph.

    Args:
        discriminator (callable): ``D(x) -> (src, cls)``.
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` images.
        device: Where D lives.
        batch_size (int): Images per forward pass.

    Returns:
        numpy.ndarray: float32 ``(N, L)`` logits.
    """
    return forward.forward_in_batches(
        lambda batch: discriminator(batch)[1], (x,), device, batch_size)


def discriminator_accuracy(discriminator, x, c, group_sizes,
                           device='@numpy', batch_size=32):
    """How often D's classification head gives real images their labels.

    On held-out images set beside the same figure on training images, a
    gap says D memorises its training images.

    Args:
        discriminator (callable): ``D(x) -> (src, cls)``.
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` real images.
        c (numpy.ndarray): float32 ``(N, L)`` their labels.
        group_sizes (sequence of int): Label layout.
        device: Where D lives.
        batch_size (int): Images per forward pass.

    Returns:
        float: Accuracy in [0, 1] over all images and label groups.
    """
    return label_utils.accuracy(
        discriminator_logits(discriminator, x, device, batch_size), c,
        group_sizes)


class Evaluate(training.Extension):
    """Reports ``eval/<metric>`` for a fixed set of test images.

    Runs before LogReport in the same iteration, so the values appear in the
    log and can be plotted; ``eval/judge_accuracy`` is the judge's accuracy
    on real test images. With a ``discriminator``, D's own classifier is
    scored too (:func:`discriminator_accuracy`): ``eval/dis_accuracy`` on
    the real test images, ``eval/dis_train_accuracy`` on real training
    images (with ``train_images``), ``eval/dis_target_accuracy`` on the
    test images' translations. The last far above
    ``eval/target_accuracy`` (the judge's, on the same translations)
    says G pleases D's classifier with changes the judge does not see.
    The judging classifier is obtained on the first call, so training
    starts without waiting for it; a stop requested while it trains skips
    that evaluation.

    Args:
        generator (callable): The generator being trained.
        get_judge (callable): Returns the
            :class:`~stargan.models.classifier.DomainClassifier` and its
            accuracy on real test images (called once, see :func:`judge_for`).
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` fixed test images.
        c (numpy.ndarray): float32 ``(N, L)`` their labels.
        group_sizes (sequence of int): Label layout.
        label_names (sequence of str): Label names.
        device: Where the generator (and D) live.
        names (sequence of str): Metrics to run.
        discriminator (callable or None): D, to report
            ``eval/dis_accuracy`` and ``eval/dis_target_accuracy``; a D
            whose scores depend on the rest of its batch (minibatch
            standard deviation) would be measured out of its training
            conditions, so leave it out.
        train_images (tuple or None): ``(x, c)``, float32 ``(M, 3, S, S)``
            real training images and ``(M, L)`` labels, with a
            ``discriminator``: also ``eval/dis_train_accuracy``, which
            set beside ``eval/dis_accuracy`` shows D memorising.
    """

    priority = training.PRIORITY_WRITER

    def __init__(self, generator, get_judge, x, c, group_sizes, label_names,
                 device='@numpy', names=TRAINING_METRICS,
                 discriminator=None, train_images=None):
        self.generator, self.get_judge, self.judge = generator, get_judge, None
        self.discriminator, self.train_images = discriminator, train_images
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
        if self.discriminator is not None:
            result.update(self._discriminator_scores(data))
        return {'eval/' + k: v for k, v in result.items()
                if isinstance(v, float)}

    def _discriminator_scores(self, data):
        """``{name: float}``: D's classifier on the real test (and
        training) images, and as the judge of the test images'
        translations (target accuracy, computed as the judge's). The
        translations are the evaluated G's: the average of G's weights
        where one is kept, not the G that D trains against."""
        as_judge = dataclasses.replace(data, classify=functools.partial(
            discriminator_logits, self.discriminator, device=self.device))
        out = {'dis_accuracy': self._dis_accuracy(self.x, self.c),
               'dis_target_accuracy': metrics.compute(
                   as_judge, ['target_accuracy'])['target_accuracy']}
        if self.train_images is not None:
            out['dis_train_accuracy'] = self._dis_accuracy(
                *self.train_images)
        return out

    def _dis_accuracy(self, x, c):
        return discriminator_accuracy(self.discriminator, x, c,
                                      self.group_sizes, self.device)

    def __call__(self, trainer):
        report_unless_stopped(self.evaluate)


def report_unless_stopped(evaluate):
    """``chainer.report(evaluate())``, or a line saying why not when a stop
    came while the judge trained (the run then stops as asked)."""
    try:
        chainer.report(evaluate())
    except JudgeStopped as e:
        print('Evaluation skipped: {}'.format(e), flush=True)
