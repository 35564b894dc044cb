"""Trained StarGAN and CycleGAN runs as translators for the comparison
(and evaluate.py): generators, parameter counts, training time, budget."""
import json
import os

import numpy

from faceapp import cyclegan_export
from faceapp import cyclegan_wiring
from faceapp import export
from faceapp import run_files
from faceapp import runs
from faceapp import snapshots
from stargan.conv import cpu_threads
from stargan.forward import forward_in_batches
from stargan.labels import groups as label_utils


def training_time(run_dir):
    """Seconds the run took (its log's last ``elapsed_time``), or None."""
    try:
        with open(os.path.join(run_dir, 'log')) as f:
            return float(json.load(f)[-1]['elapsed_time'])
    except (OSError, ValueError, IndexError, KeyError):
        return None


def n_params(*links):
    """Total parameter count of some links."""
    return int(sum(p.size for link in links for p in link.params()))


def _run_batches(fn, device, *arrays, batch_size=32):
    """``fn`` over batches of ``arrays`` (sent to ``device``), concatenated
    into one numpy array, with the CPU's cores splitting each convolution
    (:func:`stargan.forward.forward_in_batches`)."""
    return forward_in_batches(fn, arrays, device, batch_size,
                              context=cpu_threads.splitting())


def edit_labels(c, groups, names, target):
    """Labels ``c`` (N, L) over ``names`` with ``target``'s group set to it.
    """
    sizes = [len(v) for _, v in groups]
    j = names.index(target)
    return dict(label_utils.edit_targets(c, sizes))[j]


def _budget(opts):
    """What a run spent: iterations, batch, size and optimiser settings."""
    return {k: opts.get(k) for k in ('iterations', 'batch_size',
                                     'image_size', 'g_lr', 'd_lr',
                                     'n_critic')}


def load_stargan(run_dir, device, snapshot=None):
    """StarGAN of a run dir, as a model description for :func:`evaluate`
    (``snapshot``: this snapshot or export of it instead of its newest
    snapshot).

    Returns:
        dict: ``translate(x, c, names, src, trg)`` (x float32 ``(N, 3, S,
        S)``, c its float32 labels over ``names``), ``parameters``,
        ``generators``, ``trained_on``, ``train_time_s`` and the budget:
        ``iterations``, ``batch_size``, ``image_size``, ``g_lr``,
        ``d_lr``, ``n_critic``.
    """
    opts = run_files.read_options(run_dir)
    train, _ = runs.make_datasets(opts)
    own = list(train.label_names)
    gen = runs.load_generator(snapshot or run_files.require_snapshot(run_dir), opts,
                              len(own))
    gen.to_device(device)
    _, dis = runs.make_stargan(opts, len(own))

    def translate(x, c, names, src, trg):
        c_own = numpy.stack([c[:, names.index(n)] if n in names else
                             numpy.zeros(len(c), numpy.float32) for n in own],
                            axis=1)
        c_trg = edit_labels(c_own, train.attribute_groups, own, trg)
        return _run_batches(gen, device, x, c_trg)
    return dict(translate=translate, generators=1, trained_on=own,
                parameters=dict(generators=n_params(gen),
                                discriminators=n_params(dis)),
                train_time_s=training_time(run_dir), **_budget(opts))


def _generators(path, opts):
    """``(gen_ab, gen_ba)`` of a run's snapshot or of its export."""
    if not export.is_export(path):
        return cyclegan_wiring.load_generators(path, opts)
    pair, config = cyclegan_export.load_exported(path)
    if config['domains'] != list(opts['domains']):
        raise snapshots.UnsafeFileError(
            '{} translates {} but its run learned {}; pass the run\'s own '
            'export or snapshot'.format(path, ' <-> '.join(config['domains']),
                                        ' <-> '.join(opts['domains'])))
    return pair.gen_ab, pair.gen_ba


def load_cyclegan(run_dirs, device, snapshot=None):
    """The CycleGAN pair models of some run dirs, as one model description
    (see :func:`load_stargan`); times and parameters are summed.

    Args:
        run_dirs (sequence of str): ``train.py --model cyclegan`` out dirs.
        device: Where the generators go.
        snapshot (str): With one run dir, this snapshot (or export) of it
            instead of its newest snapshot.
    """
    gens, params, times, info = {}, dict(generators=0, discriminators=0), \
        [], {}
    for run_dir in run_dirs:
        opts = run_files.read_options(run_dir)
        a, b = opts['domains']
        gen_ab, gen_ba = _generators(
            snapshot or run_files.require_snapshot(run_dir), opts)
        for g in (gen_ab, gen_ba):
            g.to_device(device)
        gens[(a, b)], gens[(b, a)] = gen_ab, gen_ba
        models = cyclegan_wiring.make_models(opts)
        params['generators'] += n_params(gen_ab, gen_ba)
        params['discriminators'] += n_params(
            *[m for k, m in models.items() if k.startswith('dis')])
        times.append(training_time(run_dir))
        info = _budget(dict(opts, n_critic=1))

    def translate(x, c, names, src, trg):
        if (src, trg) not in gens:
            raise ValueError('no CycleGAN model translates {} to {}'.format(
                src, trg))
        return _run_batches(gens[(src, trg)], device, x)
    total = None if None in times else float(sum(times))
    return dict(translate=translate, generators=len(gens), pairs=sorted(gens),
                trained_on=list(dict.fromkeys(d for p in gens for d in p)),
                parameters=params, train_time_s=total, **info)
