"""The metrics themselves, registered by name."""
import numpy

from stargan.labels import groups as label_utils
from stargan.metrics import distances
from stargan.metrics import quality

#: ``name -> function(EvalData) -> dict``.
METRICS = {}


def register(name):
    """Decorator adding a metric function to :data:`METRICS` under ``name``.
    """
    def wrap(fn):
        METRICS[name] = fn
        return fn
    return wrap


def compute(data, names=None):
    """Runs metrics and merges their results.

    Args:
        data (~stargan.metrics.EvalData): What to measure.
        names (list of str): Metric names (default: all registered).

    Returns:
        dict: Every metric's values; a metric that cannot run on this data
        says so under ``skipped``.

    Raises:
        ValueError: For an unknown name, listing the known ones.
    """
    names = list(METRICS) if names is None else names
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError('unknown metric(s) {}; choose from {}'.format(
            ', '.join(unknown), ', '.join(METRICS)))
    result = {'skipped': {}}
    for name in names:
        out = METRICS[name](data)
        if 'skipped' in out:
            result['skipped'][name] = out['skipped']
        else:
            result.update(out)
    return result


def _group_of(j, group_sizes):
    for sl, size in zip(label_utils.group_slices(group_sizes), group_sizes):
        if sl.start <= j < sl.stop:
            return sl, size


def _hits(logits, c_trg, j, group_sizes):
    """bool ``(M,)``: the classifier puts each image in its target for the
    group holding label ``j``."""
    sl, size = _group_of(j, group_sizes)
    if size == 1:
        return (logits[:, j] > 0) == (c_trg[:, j] > 0.5)
    return logits[:, sl].argmax(1) == c_trg[:, sl].argmax(1)


@register('target_accuracy')
def target_accuracy(data):
    """Share of translations the domain classifier assigns to the target.

    Returns ``target_accuracy`` (overall), ``target_accuracy_per_target``
    and, for a single exclusive group, ``target_accuracy_table`` (source
    name -> target name -> accuracy).
    """
    total, per_target, table = [], {}, {}
    single = not label_utils.is_multi_label(data.group_sizes)
    src = data.c_org.argmax(1)
    for k, j in enumerate(data.targets):
        rows = data.changed[k]
        if not rows.any():
            continue
        hits = _hits(data.classify(data.fake[k][rows]), data.c_trg[k][rows],
                     j, data.group_sizes)
        total.append(hits)
        per_target[data.label_names[j]] = float(hits.mean())
        if single:
            for s in numpy.unique(src[rows]):
                table.setdefault(data.label_names[s], {})[
                    data.label_names[j]] = float(hits[src[rows] == s].mean())
    out = {'target_accuracy': float(numpy.concatenate(total).mean()),
           'target_accuracy_per_target': per_target}
    if single:
        out['target_accuracy_table'] = table
    return out


def _domains(data):
    """Yields ``(name, j, v, reals, fakes)`` per target domain value: label
    ``j`` set to ``v``, its real test images and the translations into it.
    """
    for k, j in enumerate(data.targets):
        _, size = _group_of(j, data.group_sizes)
        for v in ((1.,) if size > 1 else (1., 0.)):
            reals = data.x[data.c_org[:, j] == v]
            fakes = data.fake[k][data.changed[k] & (data.c_trg[k][:, j] == v)]
            name = data.label_names[j] if v else 'not ' + data.label_names[j]
            if len(reals) >= 2 and len(fakes) >= 2:
                yield name, j, v, reals, fakes


def _reference(data, j, v, count):
    """As many real training images with label ``j`` at ``v`` as ``count``
    (fewer where the training set has fewer), or None (no floor)."""
    if data.reference is None:
        return None
    x_ref, c_ref = data.reference
    rows = quality.reference_rows(c_ref[:, j] == v, count)
    return x_ref[rows] if len(rows) >= 2 else None


def _mean(values):
    return float(numpy.mean(list(values)))


@register('feature_distances')
def feature_distances(data):
    """Frechet and kernel distances between real images of each target
    domain and translations into it, in the classifier's features.

    Returns ``frechet_distance`` and ``kernel_distance`` (means over
    domains), ``kernel_distance_std``, ``spread_ratio`` and
    ``frechet_mean_share`` (:func:`stargan.metrics.quality.frechet_terms`:
    the mean over domains of the translations' variance over the reals',
    and the share of the summed distances that their means' offsets make),
    and per-domain dicts. With training images (``data.reference``) also
    the real-vs-real floor (training vs test images of the domain, as many
    as the translations compared): ``frechet_floor`` (mean over domains),
    ``frechet_ratio`` (mean distance over mean floor) and their per-domain
    dicts.
    """
    fd, kid, kid_std, floor, ratio, terms = {}, {}, {}, {}, {}, {}
    for name, j, v, reals, fakes in _domains(data):
        f_real, f_fake = data.features(reals), data.features(fakes)
        fd[name] = distances.frechet_distance_of_features(f_real, f_fake)
        kid[name], kid_std[name] = distances.kernel_distance(f_real, f_fake)
        terms[name] = quality.frechet_terms(f_real, f_fake)
        ref = _reference(data, j, v, len(fakes))
        if ref is not None:
            one = quality.frechet_with_floor(f_real, f_fake,
                                             data.features(ref))
            floor[name], ratio[name] = one['floor'], one['ratio']
    if not fd:
        return {'skipped': 'too few test images per domain (need 2+)'}
    spread = {d: t['spread_ratio'] for d, t in terms.items()}
    out = {'frechet_distance': _mean(fd.values()),
           'kernel_distance': _mean(kid.values()),
           'kernel_distance_std': _mean(kid_std.values()),
           'spread_ratio': _mean(spread.values()),
           'frechet_distance_per_domain': fd,
           'kernel_distance_per_domain': kid,
           'spread_ratio_per_domain': spread}
    if sum(fd.values()) > 0:
        out['frechet_mean_share'] = (sum(t['mean_term'] for t in
                                         terms.values()) / sum(fd.values()))
    if floor:
        out.update(frechet_floor=_mean(floor.values()),
                   frechet_floor_per_domain=floor,
                   frechet_ratio_per_domain=ratio)
        if out['frechet_floor'] > 0:
            out['frechet_ratio'] = (_mean(fd[d] for d in floor)
                                    / out['frechet_floor'])
    return out


@register('identity')
def identity(data):
    """How far translations moved from their sources in the classifier's
    penultimate features (:func:`stargan.metrics.quality.identity_score`).

    Returns ``identity_score`` (mean over all translations) and
    ``identity_score_per_target``.
    """
    f_src = data.features(data.x)
    per_target, total = {}, []
    for k, j in enumerate(data.targets):
        rows = data.changed[k]
        if not rows.any():
            continue
        d = quality.identity_distances(f_src[rows],
                                       data.features(data.fake[k][rows]))
        per_target[data.label_names[j]] = float(d.mean())
        total.append(d)
    if not total:
        return {'skipped': 'no translation changed a label'}
    return {'identity_score': float(numpy.concatenate(total).mean()),
            'identity_score_per_target': per_target}


@register('reconstruction')
def reconstruction(data):
    """Mean L1 of ``G(G(x, c_trg), c_org)`` against ``x`` (pixels in
    [-1, 1])."""
    err = numpy.abs(data.rec - data.x[None]).mean(axis=(2, 3, 4))
    return {'reconstruction_l1': float(err[data.changed].mean())}


@register('ground_truth')
def ground_truth(data):
    """L1 and PSNR of translations against the true rendering of the same
    identity in the target domain (synthetic data only)."""
    if data.ground_truth is None:
        return {'skipped': 'this dataset has no ground-truth renderings'}
    l1, psnr = [], []
    for k in range(len(data.targets)):
        rows = numpy.flatnonzero(data.changed[k])
        truth = data.ground_truth(rows, data.c_trg[k][rows])
        l1.append(numpy.abs(data.fake[k][rows] - truth).mean(axis=(1, 2, 3)))
        psnr.append(distances.psnr(data.fake[k][rows], truth))
    return {'ground_truth_l1': float(numpy.concatenate(l1).mean()),
            'ground_truth_psnr': float(numpy.concatenate(psnr).mean())}


@register('inception_fid')
def inception_fid(data):
    """Frechet distance between all real test images and all translations
    in the features of a user-supplied pretrained network."""
    if data.inception is None:
        return {'skipped': 'no pretrained Inception-style weights were given '
                           '(evaluate.py --inception PATH); nothing is '
                           'downloaded'}
    fakes = data.fake[data.changed]
    return {'inception_fid': distances.frechet_distance_of_features(
        data.inception(data.x), data.inception(fakes))}
