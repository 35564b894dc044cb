"""Scoring a trained model as ``evaluate.py`` does (StarGAN or CycleGAN):
the judge, the translations and every offline metric, with the
real-vs-real floor of the Frechet distance; shared by ``evaluate.py`` and
``benchmarks.quality``."""
import dataclasses

import numpy

from extensions import evaluation
from faceapp import compare_eval
from faceapp import compare_models
from faceapp import judging
from faceapp import runs
from stargan.labels import groups as label_utils
from stargan import metrics


@dataclasses.dataclass
class JudgeOptions:
    """How the judging classifier is trained (or found in the cache).

    Attributes:
        cache_dir (str or None): Classifier cache (None: no cache).
        iterations (int): Its training steps.
        seed (int): Its seed.
    """
    cache_dir: str = None
    iterations: int = 600
    seed: int = 0


def ground_truth(dataset, limit=None):
    """``(positions, labels) -> images``: the true renderings, in other
    domains, of the test images ``evaluation.dataset_arrays(dataset,
    limit)`` takes, by their positions there (synthetic faces only; None
    otherwise)."""
    if not hasattr(dataset, 'render_label'):
        return None
    rows = evaluation.dataset_rows(dataset, limit)
    return lambda pos, labels: numpy.stack(
        [dataset.render_label(int(rows[i]), c) for i, c in zip(pos, labels)])


def judge(x_tr, c_tr, sizes, x, c, options, device):
    """The judge (trained, showing progress, or cached) and its accuracy on
    the real test images ``x``.

    Args:
        x_tr (numpy.ndarray): float32 ``(M, 3, S, S)`` real training images.
        c_tr (numpy.ndarray): float32 ``(M, L)`` their labels.
        sizes (sequence of int): Label layout.
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` real test images.
        c (numpy.ndarray): float32 ``(N, L)`` their labels.
        options (JudgeOptions): Training and cache settings.
        device: ``chainer.get_device`` specifier.
    """
    return judging.get_classifier(
        x_tr, c_tr, sizes, x, c, options.cache_dir, options.iterations,
        seed=options.seed, device=device, callback=judging.judge_progress())


def judged(result, accuracy, sizes):
    """Adds the judge's accuracy on real test images, the chance level and
    (for a judge too close to chance) the warning to a result."""
    result.update(classifier_accuracy_real=accuracy,
                  classifier_chance=label_utils.chance_accuracy(sizes))
    warning = judging.judge_warning(accuracy, sizes)
    if warning:
        result['judge_warning'] = warning
    return result


def score_stargan(gen, train, test, n_test, names, options, device,
                  inception=None):
    """Scores a StarGAN generator on ``n_test`` test images (spread evenly
    over the test set, so that every domain has its share).

    Args:
        gen (callable): ``G(x, c)`` on ``device``.
        train: The run's training dataset (the judge and the floor).
        test: Its test dataset.
        n_test (int): Test images translated to every other domain.
        names (sequence of str): Metrics (:data:`stargan.metrics.METRICS`).
        options (JudgeOptions): The judge's settings.
        device: Where ``gen`` lives.
        inception (callable or None): See :class:`stargan.metrics.EvalData`.

    Returns:
        tuple: ``(result dict, EvalData)``.
    """
    sizes = runs.group_sizes(train)
    x_tr, c_tr = evaluation.dataset_arrays(train)
    x, c = evaluation.dataset_arrays(test, n_test)
    clf, clf_acc = judge(x_tr, c_tr, sizes, x, c, options, device)
    truth = ground_truth(test, n_test)
    data = evaluation.make_eval_data(gen, clf, x, c, sizes,
                                     train.label_names, device, truth)
    data = dataclasses.replace(data, inception=inception,
                               reference=(x_tr, c_tr))
    result = judged(metrics.compute(data, names), clf_acc, sizes)
    result.update(n_test=len(x))
    return result, data


def score_pairwise(model, train, test, n_test, names, options, device,
                   inception=None, name='cyclegan'):
    """Scores every direction between the domains a model learned (a
    CycleGAN run's two, a compare.py StarGAN run's chosen ones) as
    compare.py scores them, overall and per direction, by the judge a
    StarGAN run of the dataset gets (arguments as :func:`score_stargan`;
    ``model`` a model description of :mod:`faceapp.compare_models`,
    ``name`` the run's ``model`` option, for the result).

    Returns:
        tuple: ``(result dict with per_direction, EvalData)``.
    """
    domains = list(model['trained_on'])
    sizes = runs.group_sizes(train)
    x_tr, c_tr = evaluation.dataset_arrays(train)
    x_j, c_j = evaluation.dataset_arrays(test, n_test)
    clf, clf_acc = judge(x_tr, c_tr, sizes, x_j, c_j, options, device)
    idx, x, c, src = compare_eval.eval_set(test, domains, n_test)
    fake, rec = compare_eval.translations(model, x, c, test.label_names,
                                          src, domains)
    data = compare_eval.make_eval_data(fake, rec, x, c, src, domains, test,
                                       clf, compare_eval.eval_truth(test,
                                                                    idx))
    data = dataclasses.replace(data, inception=inception,
                               reference=(x_tr, c_tr))
    result = judged(metrics.compute(data, names), clf_acc, sizes)
    result.update(n_test=len(x), model=name,
                  per_direction=compare_eval.per_direction(
                      data, domains, src, names))
    return result, data


def score_snapshot(snapshot, run_dir, opts, train, test, n_test, names,
                   options, device, inception=None, pairwise=False):
    """Loads a run's model (one dataset; either kind) and scores it: a
    CycleGAN run, or any run with ``pairwise``, by :func:`score_pairwise`.

    Args:
        snapshot (str): A trainer snapshot or export of the run.
        run_dir (str): The run's out dir.
        opts (dict): Its options (``args.json``).
        train: Its training dataset.
        test: Its test dataset.
        n_test, names, options, device, inception: As
            :func:`score_stargan` takes them.
        pairwise (bool): Score a StarGAN run between its chosen domains
            as compare.py does (a run compare.py trained).

    Returns:
        tuple: ``(result dict, EvalData)``.
    """
    cyclegan = opts.get('model') == 'cyclegan'
    if cyclegan or pairwise:
        model = compare_models.load_cyclegan([run_dir], device, snapshot) \
            if cyclegan else compare_models.load_stargan(run_dir, device,
                                                         snapshot)
        return score_pairwise(model, train, test, n_test, names, options,
                              device, inception,
                              opts.get('model', 'stargan'))
    gen = runs.load_generator(snapshot, opts, len(train.label_names))
    gen.to_device(device)
    return score_stargan(gen, train, test, n_test, names, options, device,
                         inception)
