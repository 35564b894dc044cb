"""Evaluation half of the StarGAN / CycleGAN comparison: translating the
same held-out images with each model (loaded by
:mod:`faceapp.compare_models`) and scoring every direction with the
offline metrics."""
import dataclasses
import itertools

import numpy

import datasets
from datasets.unaligned import domain_indices
from extensions import evaluation
from faceapp import compare_models
from faceapp import judging
from faceapp import runs
from stargan.labels import groups as label_utils
from stargan import metrics
from stargan.models import classifier as clf_lib

#: Metrics compared (the offline ones; Inception FID needs local weights).
METRIC_NAMES = ('target_accuracy', 'feature_distances', 'reconstruction',
                'ground_truth')


def domain_pairs(domains):
    """The k(k-1)/2 unordered pairs CycleGAN needs, in a stable order."""
    return list(itertools.combinations(domains, 2))


def directions(domains):
    """The k(k-1) ordered ``(source, target)`` translations compared."""
    return list(itertools.permutations(domains, 2))


#: The options :func:`open_base` reads: which data and split a comparison
#: judges on (each run compare.py trains records them as ``eval_data``).
BASE_KEYS = ('dataset', 'attrs', 'attributes', 'n_train', 'n_test',
             'image_size', 'test_fraction', 'seed')


#: How the comparison judges (recorded with the data, so that evaluate.py
#: judges a run compare.py trained the same way by default; ``seed`` is in
#: :data:`BASE_KEYS`).
JUDGE_KEYS = ('n_eval', 'classifier_iterations')


def base_data(cfg):
    """The comparison's evaluation data as a plain dict of
    :data:`BASE_KEYS` and :data:`JUDGE_KEYS`, for :func:`open_base` (and a
    run's args.json)."""
    return {k: cfg.get(k) for k in BASE_KEYS + JUDGE_KEYS}


def open_base(cfg, split):
    """The dataset named by the comparison's options, unflipped.

    Args:
        cfg (dict): ``dataset`` (None: synthetic faces), ``attrs``,
            ``attributes``, ``n_train``, ``n_test``, ``image_size``,
            ``test_fraction``, ``seed`` (see :func:`base_data`).
        split (str): ``'train'`` or ``'test'``.
    """
    if cfg['dataset'] is None:
        n = cfg['n_train'] if split == 'train' else cfg['n_test']
        return datasets.SyntheticFaceDataset(
            n, cfg['image_size'], split, cfg['seed'],
            tuple(cfg['attributes']))
    return datasets.open_dataset(
        cfg['dataset'], cfg['image_size'], split, attrs=cfg.get('attrs'),
        test_fraction=cfg['test_fraction'], seed=cfg['seed'])


def members(dataset, domains):
    """Indices of the examples in exactly one of ``domains``.

    Returns:
        tuple: int64 indices ``(M,)`` and the domain position of each
        ``(M,)``; examples in two chosen domains (several label groups)
        are left out as ambiguous.
    """
    owner = {}
    for k, name in enumerate(domains):
        for i in domain_indices(dataset, name):
            owner[int(i)] = -1 if int(i) in owner else k
    idx = numpy.array(sorted(i for i, k in owner.items() if k >= 0),
                      numpy.int64)
    return idx, numpy.array([owner[i] for i in idx], numpy.int64)


def eval_set(test, domains, n_eval):
    """Up to ``n_eval`` held-out images, spread evenly over ``domains``.

    Returns:
        tuple: test indices ``(N,)``, float32 images ``(N, 3, S, S)``,
        labels ``(N, L)``, source domain position ``(N,)``.
    """
    idx, owner = members(test, domains)
    per = max(2, n_eval // len(domains))
    keep = numpy.concatenate([idx[owner == k][:per]
                              for k in range(len(domains))])
    x, c = zip(*(test[int(i)] for i in keep))
    src = numpy.concatenate([owner[owner == k][:per]
                             for k in range(len(domains))])
    return keep, numpy.stack(x), numpy.stack(c), src


def translations(model, x, c, names, src, domains):
    """``fake, rec``: float32 ``(K, N, 3, S, S)``, image n translated to
    domain k and back (the input itself where k is its own domain)."""
    fake = numpy.repeat(x[None], len(domains), axis=0)
    rec = fake.copy()
    for s, t in directions(domains):
        si, ti = domains.index(s), domains.index(t)
        rows = src == si
        fake[ti, rows] = model['translate'](x[rows], c[rows], names, s, t)
        rec[ti, rows] = model['translate'](fake[ti, rows], c[rows], names,
                                           t, s)
    return fake, rec


def make_eval_data(fake, rec, x, c, src, domains, test, judge, truth):
    """:class:`stargan.metrics.EvalData` over the chosen domains only:
    column k translates every image not already in ``domains[k]`` to it."""
    names = list(test.label_names)
    sizes = runs.group_sizes(test)
    targets = [names.index(d) for d in domains]
    columns = dict(label_utils.edit_targets(c, sizes))
    return metrics.EvalData(
        x=x, c_org=c, group_sizes=sizes, label_names=names, targets=targets,
        c_trg=numpy.stack([columns[j] for j in targets]), fake=fake, rec=rec,
        changed=numpy.stack([src != k for k in range(len(domains))]),
        classify=lambda v: clf_lib.predict(judge, v),
        features=lambda v: clf_lib.predict(judge, v, features=True),
        ground_truth=truth)


def _scalars(result):
    out = {k: v for k, v in result.items() if isinstance(v, float)}
    if result.get('skipped'):
        out['skipped'] = result['skipped']
    return out


def per_direction(data, domains, src, names=METRIC_NAMES):
    """Scalar metrics per ``'source>target'`` direction.

    Args:
        data (~stargan.metrics.EvalData): From :func:`make_eval_data`.
        domains (sequence of str): The translated domains.
        src (numpy.ndarray): Source domain position of each image ``(N,)``.
        names (sequence of str): Metrics to compute.

    Returns:
        dict: ``'a>b' -> {metric: float, 'skipped': ...}``.
    """
    per = {}
    for s, t in directions(domains):
        k = domains.index(t)
        one = dataclasses.replace(
            data, targets=data.targets[k:k + 1], c_trg=data.c_trg[k:k + 1],
            fake=data.fake[k:k + 1], rec=data.rec[k:k + 1],
            changed=(data.changed[k] & (src == domains.index(s)))[None])
        per['{}>{}'.format(s, t)] = _scalars(metrics.compute(one, names))
    return per


def scores(data, domains, src):
    """Metrics over all directions, and per ``'source>target'``."""
    return (_scalars(metrics.compute(data, METRIC_NAMES)),
            per_direction(data, domains, src))


def judge_for(cfg, test, device):
    """The cached domain classifier trained on all real training images,
    and its accuracy on held-out ones."""
    x, c = evaluation.dataset_arrays(open_base(cfg, 'train'))
    x_test, c_test = evaluation.dataset_arrays(test)
    return judging.get_classifier(
        x, c, runs.group_sizes(test), x_test, c_test, cfg['cache_dir'],
        cfg['classifier_iterations'], seed=cfg['seed'], device=device,
        callback=judging.judge_progress())


def eval_truth(test, idx):
    """``(rows, labels)`` -> the true renderings of eval rows (synthetic
    data only; None otherwise)."""
    if not hasattr(test, 'render_label'):
        return None
    return lambda rows, labels: numpy.stack(
        [test.render_label(int(idx[r]), lab) for r, lab in zip(rows, labels)])


def evaluate(cfg, models, device):
    """Translates the same held-out images with every model and scores them.

    Args:
        cfg (dict): Comparison options.
        models (dict): ``name -> model description``
            (:func:`faceapp.compare_models.load_stargan`).
        device: Where the models live.

    Returns:
        tuple: ``(result, fakes, inputs)``: the JSON-ready result, ``name
        -> float32 (K, N, 3, S, S)`` translations, and ``inputs`` with
        ``x`` (N, 3, S, S), ``src`` (N,) and ``truth`` (``(rows, domain
        name) -> images``, or None without ground truth).
    """
    test = open_base(cfg, 'test')
    names = list(test.label_names)
    judge, judge_acc = judge_for(cfg, test, device)
    idx, x, c, src = eval_set(test, cfg['domains'], cfg['n_eval'])
    truth = eval_truth(test, idx)
    result = dict(judge_accuracy_real=judge_acc, n_eval=len(x), models={})
    warning = judging.judge_warning(judge_acc, runs.group_sizes(test))
    if warning:
        result['judge_warning'] = warning
    fakes = {}
    for name, model in models.items():
        fake, rec = translations(model, x, c, names, src, cfg['domains'])
        data = make_eval_data(fake, rec, x, c, src, cfg['domains'], test,
                              judge, truth)
        overall, per = scores(data, cfg['domains'], src)
        result['models'][name] = dict(
            {k: v for k, v in model.items() if k != 'translate'},
            overall=overall, per_direction=per)
        fakes[name] = fake
    truth_to = None if truth is None else (lambda rows, t: truth(
        rows, compare_models.edit_labels(c[rows], test.attribute_groups, names, t)))
    return result, fakes, dict(x=x, src=src, truth=truth_to)
