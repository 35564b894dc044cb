#!/usr/bin/env python
"""Time StarGAN training steps for a preset: seconds per D step, per G step
and per amortized iteration (one D step + 1/n_critic G step), images/s.

Runs on random data (no dataset needed); warm-up steps are not timed.
Example: python bench.py --preset small --preset paper --steps 3
"""
import argparse
import json
import sys
import time

import numpy

import chainer

from stargan import networks
from stargan import presets
from updaters import StarGANUpdater


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--preset', action='append', choices=sorted(
        presets.PRESETS), help='preset(s) to time (default: all but paper)')
    p.add_argument('--batch-size', type=int, default=None,
                   help='default: each preset\'s')
    p.add_argument('--steps', type=int, default=5,
                   help='timed steps of each kind')
    p.add_argument('--n-critic', type=int, default=None, help=(
        'D steps per G step, for the amortized figure (default: the '
        'preset\'s)'))
    p.add_argument('--labels', type=int, default=5, help='label length')
    p.add_argument('--gpu', type=int, default=-1, help='GPU id; -1: CPU')
    p.add_argument('--json', action='store_true',
                   help='print one JSON object per preset instead of text')
    return p.parse_args(argv)


def _setup(preset, batch, n_labels, device):
    p = presets.get_preset(preset)
    s = p['image_size']
    rng = numpy.random.RandomState(0)
    x = rng.uniform(-1, 1, (batch, 3, s, s)).astype(numpy.float32)
    c = numpy.eye(n_labels, dtype=numpy.float32)[
        rng.randint(0, n_labels, batch)]
    gen = networks.Generator(n_labels, p['g_conv_dim'], p['g_res'])
    dis = networks.Discriminator(s, n_labels, p['d_conv_dim'], p['d_down'])
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


def _sync(device):
    if device.xp is not numpy:  # GPU kernels run asynchronously
        device.device.synchronize()


def _time(fn, steps, device):
    fn()  # warm-up: allocations, cuDNN autotuning
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    _sync(device)
    return (time.perf_counter() - start) / steps


def bench(preset, batch, steps, n_critic, n_labels, device):
    """Returns a dict of timings for one preset."""
    updater, x, c = _setup(preset, batch, n_labels, device)
    reporter = chainer.Reporter()
    reporter.add_observer('gen', updater.generator)
    reporter.add_observer('dis', updater.discriminator)
    d_opt, g_opt = updater.get_optimizer('dis'), updater.get_optimizer('gen')
    with reporter.scope({}):
        d = _time(lambda: d_opt.update(updater.dis_loss, x, c, c), steps,
                  device)
        g = _time(lambda: g_opt.update(updater.gen_loss, x, c, c), steps,
                  device)
    amortized = d + g / n_critic
    return {'preset': preset, 'batch': batch,
            'image_size': x.shape[-1], 'd_step_s': d, 'g_step_s': g,
            'n_critic': n_critic, 'iteration_s': amortized,
            'images_per_s': batch / amortized}


def main(argv=None):
    args = parse_args(argv)
    device = chainer.get_device('@numpy' if args.gpu < 0
                                else '@cupy:{}'.format(args.gpu))
    names = args.preset or [n for n in presets.PRESETS if n != 'paper']
    for name in names:
        preset = presets.get_preset(name)
        r = bench(name, args.batch_size or preset['batch_size'], args.steps,
                  args.n_critic or preset['n_critic'], args.labels, device)
        if args.json:
            print(json.dumps(r))
        else:
            print('{preset:>7} {image_size:>4}px batch {batch:>3}: D step '
                  '{d_step_s:7.3f} s  G step {g_step_s:7.3f} s  iteration '
                  '(n_critic {n_critic}) {iteration_s:7.3f} s  '
                  '{images_per_s:7.1f} img/s'.format(**r))
    return 0


if __name__ == '__main__':
    sys.exit(main())
