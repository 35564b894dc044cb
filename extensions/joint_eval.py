"""Evaluating a StarGAN trained on several datasets (mask vector).

Each dataset ``k`` gets its own judge, a domain classifier trained on ``k``'s
real images in ``k``'s own label layout, and two measurements:

* ``<k>/...``: ``k``'s test images translated within ``k``'s labels, with
  every metric of :mod:`extensions.evaluation` (target accuracy, feature
  distances, reconstruction);
* ``<k>/cross_accuracy``: the *other* datasets' test images translated to
  ``k``'s labels, judged by ``k``'s judge. This is what joint training buys
  (an expression for a face only ever labelled by hair colour). Their
  labels in ``k`` are unknown, so they start from
  :meth:`~stargan.labels.joint.JointLayout.default_labels` and every other
  value is a target.
"""
import numpy

import chainer
from chainer import training

from extensions import evaluation
from stargan import metrics


def own_label_generator(generator, layout, k):
    """``G(x, c_k)`` taking dataset ``k``'s own labels.

    Args:
        generator (callable): The joint ``G(x, c)``.
        layout (~stargan.labels.joint.JointLayout): Its label layout.
        k (int): Dataset index.

    Returns:
        callable: ``(x, c (N, L_k) float32, on G's device) -> G(x, joint)``
        with ``c`` placed at ``k``'s positions and ``k``'s mask set.
    """
    def generate(x, c):
        xp = chainer.backend.get_array_module(c)
        joint = xp.zeros((len(c), layout.size), dtype=numpy.float32)
        joint[:, layout.slices[k]] = c
        joint[:, layout.mask_slice.start + k] = 1
        return generator(x, joint)
    return generate


def part_arrays(joint, k, limit=None):
    """Images and own-layout labels of dataset ``k`` of a JointDataset."""
    return evaluation.dataset_arrays(joint.datasets[k], limit)


def evaluate_dataset(generator, test, k, judge, n_test, device,
                     names=evaluation.TRAINING_METRICS, ground_truth=None,
                     shard=(0, 1), reference=None):
    """Measures translations into dataset ``k``'s labels.

    Args:
        generator (callable): The joint generator.
        test (~datasets.joint.JointDataset): Joint test set.
        k (int): Dataset index.
        judge (~stargan.models.classifier.DomainClassifier): Trained on ``k``.
        n_test (int): Test images of ``k`` (and in all of the others').
        device: Where the generator lives.
        names (sequence of str): Metrics for ``k``'s own images.
        ground_truth (callable or None): For ``k``'s own images (see
            :class:`stargan.metrics.EvalData`).
        shard (tuple of int): ``(rank, n)``: use every n-th image from
            ``rank`` (a process's share in data-parallel training).
        reference (tuple or None): ``k``'s real training images and labels,
            for the floor of the Frechet distance (see
            :class:`stargan.metrics.EvalData`).

    Returns:
        tuple: ``(result dict, EvalData of k's own images)``; the result
        adds ``cross_accuracy`` when there are other datasets.
    """
    layout = test.layout
    gen_k = own_label_generator(generator, layout, k)
    sizes = layout.dataset_group_sizes[k]
    label_names = list(test.datasets[k].label_names)
    rank, n = shard
    x, c = (a[rank::n] for a in part_arrays(test, k, n_test))
    data = evaluation.make_eval_data(gen_k, judge, x, c, sizes, label_names,
                                     device, ground_truth)
    data.reference = reference
    result = metrics.compute(data, names)
    others = [j for j in range(layout.n_datasets) if j != k]
    if others:
        share = max(1, n_test // len(others))
        x_o = numpy.concatenate([part_arrays(test, j, share)[0]
                                 for j in others])[rank::n]
        c_o = numpy.tile(layout.default_labels(k), (len(x_o), 1))
        cross = evaluation.make_eval_data(gen_k, judge, x_o, c_o, sizes,
                                          label_names, device)
        result['cross_accuracy'] = metrics.compute(
            cross, ['target_accuracy'])['target_accuracy']
    return result, data


def scalar_keys(layout, names=('target_accuracy', 'cross_accuracy')):
    """``eval/<dataset>/<name>`` report keys, e.g. for plots."""
    return ['eval/{}/{}'.format(d, n) for d in layout.names for n in names]


class JointEvaluate(training.Extension):
    """Reports ``eval/<dataset>/<metric>`` for every dataset of a joint run.

    Args:
        generator (callable): The joint generator being trained.
        test (~datasets.joint.JointDataset): Joint test set.
        get_judges (sequence of callable): Per dataset, returns its judge
            and the judge's accuracy on real test images (called on the
            first evaluation; reported as ``eval/<dataset>/judge_accuracy``).
        n_test (int): Test images per dataset.
        device: Where the generator lives.
        shard (tuple of int): ``(rank, n)``: this process's share of the
            images (see :func:`evaluate_dataset`).
    """

    priority = training.PRIORITY_WRITER

    def __init__(self, generator, test, get_judges, n_test, device='@numpy',
                 shard=(0, 1)):
        self.generator, self.test = generator, test
        self.get_judges, self.judges = list(get_judges), None
        self.judge_accuracies = None
        self.n_test, self.device, self.shard = n_test, device, shard

    def prepare(self):
        """Trains or loads the judges now (else on the first evaluation)."""
        if self.judges is None:
            pairs = [get() for get in self.get_judges]
            self.judges = [judge for judge, _ in pairs]
            self.judge_accuracies = [acc for _, acc in pairs]

    def evaluate(self):
        """Returns ``{'eval/<dataset>/<metric>': float}``."""
        self.prepare()
        out = {}
        for k, name in enumerate(self.test.layout.names):
            result, _ = evaluate_dataset(self.generator, self.test, k,
                                         self.judges[k], self.n_test,
                                         self.device, shard=self.shard)
            out.update({'eval/{}/{}'.format(name, key): v
                        for key, v in result.items()
                        if isinstance(v, float)})
            out['eval/{}/judge_accuracy'.format(name)] = \
                self.judge_accuracies[k]
        return out

    def __call__(self, trainer):
        evaluation.report_unless_stopped(self.evaluate)
