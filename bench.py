#!/usr/bin/env python
"""Time StarGAN training steps for a preset: seconds per D step, per G step
and per amortized iteration (one D step + 1/n_critic G step), images/s,
convolution GFLOP/s against a measured float32 GEMM peak, generator
inference ms/image and peak memory (host memory on the CPU; with --gpu,
CuPy's memory pool).

Runs on random data (no dataset needed); warm-up steps are not timed and
every figure is the median of the timed steps. Several ``--formulation``
flags time several implementations of the layers (:data:`FORMULATIONS`:
the current ones, ``auto``, against those before) interleaved, call by
call, in one process, so that load from other jobs hits all alike.
``--compare-conv`` times each layer of a preset's generator or
discriminator (default: the paper's generator) in two formulations instead.
``--onnx`` times the generator exported to ONNX and run by onnxruntime
against the Chainer CPU path (one image and a batch, default 16) instead.

Examples:
    python bench.py --preset small --preset paper --steps 3
    python bench.py --preset paper --formulation per-sample --formulation auto
    python bench.py --compare-conv --network discriminator --batch-size 16
    python bench.py --onnx --preset paper
"""
import argparse
import json
import sys

import numpy

from faceapp import devices
devices.preload_cuda_libraries()  # before chainer imports CuPy

from benchmarks import layers  # NOQA: E402
from benchmarks import measures
from benchmarks import onnx_versus
from benchmarks import step_times
from faceapp import arg_types
from faceapp import onnx_export
from stargan import presets

#: Keys of each ``--json`` object of a preset run (one per formulation).
RESULT_KEYS = step_times.RESULT_KEYS

#: Keys of each ``--json`` object of ``--compare-conv`` (one per layer and
#: operation).
COMPARE_KEYS = layers.COMPARE_KEYS

#: Keys of each ``--json`` object of ``--onnx`` (one per preset).
ONNX_KEYS = onnx_versus.KEYS

#: Kept here for scripts that count with it.
ConvFlopCounter = measures.ConvFlopCounter


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=arg_types.HelpFormatter)
    p.add_argument('--preset', action='append', choices=sorted(
        presets.PRESETS), help=(
            'preset(s) to time (default: all but paper; with --compare-conv: '
            'paper)'))
    p.add_argument('--batch-size', type=int, default=None,
                   help='default: each preset\'s')
    p.add_argument('--steps', type=int, default=5,
                   help='timed steps of each kind')
    p.add_argument('--n-critic', type=int, default=None, help=(
        'D steps per G step, for the amortized figure (default: the '
        'preset\'s)'))
    p.add_argument('--labels', type=int, default=5, help='label length')
    p.add_argument('--gpu', type=int, default=-1, help='GPU id; -1: CPU')
    p.add_argument('--formulation', action='append',
                   choices=sorted(step_times.FORMULATIONS) + ['both'], help=(
                       'layer functions to time, interleaved when several '
                       'are given (repeat the flag); auto: the current ones '
                       '(default); per-sample: the same with a GEMM per '
                       'sample in the im2col paths; im2col: those before '
                       'issue 8 (im2col convolutions, composite instance '
                       'norm); both: im2col and auto'))
    p.add_argument('--compare-conv', action='store_true', help=(
        'time every layer\'s forward, input gradient and filter gradient '
        'in two formulations (the first two given, default im2col and '
        'auto), interleaved, instead of steps'))
    p.add_argument('--network', choices=sorted(layers.NETWORKS),
                   default='generator', help='with --compare-conv: whose '
                   'layers to time')
    p.add_argument('--onnx', action='store_true', help=(
        'time the preset\'s generator exported to ONNX and run by '
        'onnxruntime (the onnx extra) against the Chainer CPU path, one '
        'image and a batch of --batch-size (default 16), interleaved, '
        'instead of steps'))
    p.add_argument('--json', action='store_true',
                   help='print one JSON object per result instead of text')
    return p.parse_args(argv)


def _onnx(args):
    """``--onnx``: one row per preset (:data:`ONNX_KEYS`), printed."""
    out = []
    for name in args.preset or ['paper']:
        r = onnx_versus.compare(name, args.batch_size or 16, args.labels,
                                max(args.steps, measures.INFER_ROUNDS))
        print(json.dumps(r) if args.json else
              '{preset:>7} {image_size:>4}px: batch {batch}: Chainer '
              '{chainer_ms_per_image:.2f} ms/image, onnxruntime '
              '{onnx_ms_per_image:.2f} ms/image; one image: Chainer '
              '{chainer_single_ms:.1f} ms, onnxruntime {onnx_single_ms:.1f} '
              'ms; outputs differ by {max_abs_difference:.1e} at most'
              .format(**r))
        out.append(r)
    return out


def _print_result(r):
    print('{preset:>7} {image_size:>4}px batch {batch:>3} [{formulation}]: '
          'D step {d_step_s:7.3f} s  G step {g_step_s:7.3f} s  iteration '
          '(n_critic {n_critic}) {iteration_s:7.3f} s  {images_per_s:7.1f} '
          'img/s'.format(**r))
    peak = ('' if r['peak_fraction'] is None else
            ' = {:.0%} of a {:.0f} GFLOP/s float32 GEMM'.format(
                r['peak_fraction'], r['gemm_peak_gflops']))
    print('        conv {conv_gflop_per_iteration:.2f} GFLOP/iteration at '
          '{conv_gflops:.1f} GFLOP/s{peak}; inference {infer_ms_per_image:.2f}'
          ' ms/image batched, {infer_single_ms:.1f} ms for one image; '
          '{memory}; data loader {loader_images_per_s:.0f} img/s'
          .format(peak=peak, memory=_memory_text(r), **r))


def _memory_text(r):
    if r['pool_total_bytes'] is None:
        return ('step peak {step_traced_peak_mb:.0f} MB traced, process peak '
                'RSS {peak_rss_mb:.0f} MB'.format(**r))
    return 'CuPy memory pool {:.0f} MB used, {:.0f} MB held'.format(
        r['pool_used_bytes'] / 2 ** 20, r['pool_total_bytes'] / 2 ** 20)


def _formulations(chosen):
    """The --formulation values in order, 'both' expanded, no repeats."""
    names = []
    for name in chosen or ['auto']:
        for f in (('im2col', 'auto') if name == 'both' else (name,)):
            if f not in names:
                names.append(f)
    return tuple(names)


def _compare(args, device, formulations):
    """``--compare-conv``: per-layer before/after rows, printed."""
    if len(formulations) < 2:
        formulations = ('im2col', 'auto')
    out = []
    for name in args.preset or ['paper']:
        rows = layers.compare_layers(
            layers.NETWORKS[args.network](name, args.labels),
            args.batch_size or 4, args.steps, device,
            step_times.time_interleaved,
            formulations[:2])
        for r in rows:
            print(json.dumps(r) if args.json else
                  '{:>10} {:<28} {:<7} {:<9} {} {:9.1f} ms  {} {:9.1f} ms  '
                  'x{:.2f}'.format(r['layer'], r['shape'], r['op'],
                                   r['path'], r['before'], r['before_ms'],
                                   r['after'], r['after_ms'], r['speedup']))
        out.extend(rows)
    return out


def main(argv=None):
    """Runs the benchmark and prints the results.

    Args:
        argv (list of str): Command-line arguments; ``sys.argv`` if None.

    Returns:
        list of dict: Every result printed (:data:`RESULT_KEYS` or, with
        ``--compare-conv``, :data:`COMPARE_KEYS`; with ``--onnx``,
        :data:`ONNX_KEYS`).
    """
    args = parse_args(argv)
    try:
        device = devices.get_device(args.gpu)
    except ValueError as e:
        sys.exit('bench.py: error: {}'.format(e))
    if device.xp is numpy:
        devices.keep_freed_memory()  # as train.py does
    formulations = _formulations(args.formulation)
    if args.onnx:
        if device.xp is not numpy:
            sys.exit('bench.py: error: --onnx times the CPU (onnxruntime\'s '
                     'CPU provider against Chainer\'s); leave out --gpu')
        try:
            return _onnx(args)
        except onnx_export.OnnxUnavailable as e:
            sys.exit('bench.py: error: {}'.format(e))
    if args.compare_conv:
        return _compare(args, device, formulations)
    gemm_peak = measures.gemm_peak_gflops() if device.xp is numpy else None
    names = args.preset or [n for n in presets.PRESETS if n != 'paper']
    out = []
    for name in names:
        preset = presets.get_preset(name)
        rows = step_times.time_preset(
            name, args.batch_size or preset['batch_size'], args.steps,
            args.n_critic or preset['n_critic'], args.labels, device,
            formulations, gemm_peak)
        for r in rows:
            if args.json:
                print(json.dumps(r))
            else:
                _print_result(r)
        if len(rows) > 1 and not args.json:
            for r in rows[1:]:
                print('        {} vs {}: iteration x{:.2f}, inference '
                      'x{:.2f}'.format(
                          r['formulation'], rows[0]['formulation'],
                          rows[0]['iteration_s'] / r['iteration_s'],
                          rows[0]['infer_ms_per_image']
                          / r['infer_ms_per_image']))
        out.extend(rows)
    return out


if __name__ == '__main__':
    main()
    sys.exit(0)
