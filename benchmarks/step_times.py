"""StarGAN training steps of ``bench.py`` timed under one or more layer
formulations (:data:`FORMULATIONS`), interleaved call by call, with what
:mod:`benchmarks.measures` measures around them."""
import statistics
import time

import numpy

import chainer

from benchmarks import measures
from stargan.conv import choice as conv_choice
from stargan.models import stargan as networks
from stargan import presets
from updaters import StarGANUpdater

#: Keys of each ``--json`` object of a preset run (one per formulation).
RESULT_KEYS = (
    'preset', 'formulation', 'batch', 'image_size', 'd_step_s', 'g_step_s',
    'n_critic', 'iteration_s', 'images_per_s', 'conv_gflop_per_iteration',
    'conv_gflops', 'gemm_peak_gflops', 'peak_fraction', 'infer_ms_per_image',
    'step_traced_peak_mb', 'peak_rss_mb', 'pool_used_bytes',
    'pool_total_bytes', 'infer_single_ms', 'loader_images_per_s')

#: ``--formulation`` name -> the arguments of
#: :func:`stargan.conv.choice.settings`: ``auto``, this project's current
#: layer functions; ``per-sample``, the same with one GEMM per sample in
#: every im2col path (before the batch layout); ``im2col``, those before
#: issue 8 (im2col convolutions with a GEMM per sample, composite instance
#: normalization).
FORMULATIONS = {
    'auto': {'formulation': 'auto', 'layout': 'auto',
             'instance_norm': 'fused'},
    'per-sample': {'formulation': 'auto', 'layout': 'sample',
                   'instance_norm': 'fused'},
    'im2col': {'formulation': 'im2col', 'layout': 'sample',
               'instance_norm': 'composite'}}


def setup(preset, batch, n_labels, device):
    """A preset's StarGAN updater on one random batch.

    Returns:
        tuple: ``(updater, x (N, 3, S, S), c (N, L))``, the batch on
        ``device``.
    """
    p = presets.get_preset(preset)
    gen, x, c = measures.generator_and_batch(preset, batch, n_labels)
    dis = networks.Discriminator(p['image_size'], n_labels, p['d_conv_dim'],
                                 p['d_down'])
    opts = []
    for model in (gen, dis):
        opt = chainer.optimizers.Adam(1e-4, 0.5, 0.999)
        opt.setup(model)
        opts.append(opt)
    it = chainer.iterators.SerialIterator(
        chainer.datasets.TupleDataset(x, c), batch)
    updater = StarGANUpdater(it, gen, dis, opts[0], opts[1], [n_labels],
                             device=device)
    x, c = device.send(x), device.send(c)
    return updater, x, c


def sync(device):
    """Waits for the device's queued kernels (a no-op on the CPU)."""
    if device.xp is not numpy:  # GPU kernels run asynchronously
        device.device.synchronize()


def use_formulation(name):
    """Selects the implementation of the networks' layers for a block (on
    this thread).

    Args:
        name (str): A key of :data:`FORMULATIONS`.

    Returns:
        A context manager (:func:`stargan.conv.choice.settings`).
    """
    return conv_choice.settings(**FORMULATIONS[name])


def time_interleaved(fns, formulations, steps, device):
    """Median seconds of each function under each formulation.

    Every round runs each function once per formulation, alternating which
    formulation goes first, so slow phases of a shared machine hit all.

    Args:
        fns (dict): name -> callable without arguments.
        formulations (sequence of str): Names for :func:`use_formulation`.
        steps (int): Timed rounds.
        device: The chainer device (for GPU synchronisation).

    Returns:
        dict: ``{formulation: {name: median seconds}}``.
    """
    times = {f: {name: [] for name in fns} for f in formulations}
    for f in formulations:  # warm-up: allocations, cuDNN autotuning
        with use_formulation(f):
            for fn in fns.values():
                fn()
    sync(device)
    for r in range(steps):
        order = list(formulations)[::-1 if r % 2 else 1]
        for name, fn in fns.items():
            for f in order:
                with use_formulation(f):
                    start = time.perf_counter()
                    fn()
                    sync(device)
                    times[f][name].append(time.perf_counter() - start)
    return {f: {name: statistics.median(t) for name, t in ts.items()}
            for f, ts in times.items()}


def time_preset(preset, batch, steps, n_critic, n_labels, device,
          formulations=('auto',), gemm_peak=None):
    """Times one preset under one or more layer formulations.

    Args:
        preset (str): A key of :data:`stargan.presets.PRESETS`.
        batch (int): Batch size.
        steps (int): Timed steps of each kind (medians are reported).
        n_critic (int): D steps per G step for the amortized iteration.
        n_labels (int): Label length.
        device: A chainer device.
        formulations (sequence of str): Names for :func:`use_formulation`
            to time, interleaved.
        gemm_peak (float): GEMM GFLOP/s to compare with; measured if None
            on the CPU.

    Returns:
        list of dict: One per formulation, with the keys of
        :data:`RESULT_KEYS`.
    """
    updater, x, c = setup(preset, batch, n_labels, device)
    gen = updater.generator
    reporter = chainer.Reporter()
    reporter.add_observer('gen', gen)
    reporter.add_observer('dis', updater.discriminator)
    infer = measures.inference(gen, x, c)
    fns = {'d': lambda: updater.update_dis(x, c, c),
           'g': lambda: updater.update_gen(x, c, c)}
    infer_fns = {'infer': infer, 'infer1': lambda: infer(1)}
    if gemm_peak is None and device.xp is numpy:
        gemm_peak = measures.gemm_peak_gflops()
    with reporter.scope({}):
        times = time_interleaved(fns, formulations, steps, device)
        # Inference is quick and noisy: more rounds.
        infer_times = time_interleaved(
            infer_fns, formulations, max(steps, measures.INFER_ROUNDS), device)
        for f in formulations:
            times[f].update(infer_times[f])
        flops = {}
        for name in ('d', 'g'):
            with measures.ConvFlopCounter() as counter:
                fns[name]()
            flops[name] = counter.flops
        traced = {}
        for f in formulations:  # host memory: the CPU's steps only
            with use_formulation(f):
                traced[f] = None if device.xp is not numpy else max(
                    measures.traced_peak_mb(fns['d']),
                    measures.traced_peak_mb(fns['g']))
    loader = measures.loader_images_per_s(x.shape[-1], batch)
    results = []
    for f in formulations:
        t = times[f]
        amortized = t['d'] + t['g'] / n_critic
        gflop = (flops['d'] + flops['g'] / n_critic) / 1e9
        rate = gflop / amortized
        results.append(dict(measures.memory(device, traced[f]), **{
            'preset': preset, 'formulation': f, 'batch': batch,
            'image_size': x.shape[-1], 'd_step_s': t['d'],
            'g_step_s': t['g'], 'n_critic': n_critic,
            'iteration_s': amortized, 'images_per_s': batch / amortized,
            'conv_gflop_per_iteration': gflop, 'conv_gflops': rate,
            'gemm_peak_gflops': gemm_peak,
            'peak_fraction': rate / gemm_peak if gemm_peak else None,
            'infer_ms_per_image': 1e3 * t['infer'] / batch,
            'infer_single_ms': 1e3 * t['infer1'],
            'loader_images_per_s': loader}))
    return results
