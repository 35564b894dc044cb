#!/usr/bin/env python
"""Generator inference here against the PyTorch reference, round by round.

The machines this project is measured on are shared, and their speed
drifts by a factor of up to 1.7 within an hour, so two figures taken
minutes apart say little about a 1.2x target. Each round here times this
project's paper generator (a batch of 16 and one image, medians of
``benchmarks.measures.INFER_ROUNDS`` calls each) and then, in a separate
process right after or right before, ``benchmarks/torch_reference.py
--inference-only``; the ratio is taken within the round, and the summary
gives the median and the range of the rounds' ratios.

    python -m benchmarks.inference_versus --rounds 5 \\
        --torch-python /tmp/torchvenv/bin/python

Run it from an activated venv of this project, with nothing else running.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from faceapp import devices
devices.preload_cuda_libraries()  # before chainer (measures) imports CuPy

from benchmarks import measures  # noqa: E402
from benchmarks import timing  # noqa: E402
from faceapp import arg_types  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The figures compared, as bench.py and torch_reference.py name them.
KEYS = ('infer_ms_per_image', 'infer_single_ms')


def ours(batch, n_labels, rounds):
    """This project's paper generator: ms per image over a batch, ms for
    one image."""
    infer = measures.inference(*measures.generator_and_batch(
        'paper', batch, n_labels))
    return {'infer_ms_per_image': 1e3 * timing.median_seconds(
                lambda: infer(batch), rounds) / batch,
            'infer_single_ms': 1e3 * timing.median_seconds(
                lambda: infer(1), rounds)}


def pytorch(python, batch, n_labels, rounds):
    """The reference's figures, from its own process."""
    out = subprocess.run(
        [python, os.path.join(ROOT, 'benchmarks', 'torch_reference.py'),
         '--inference-only', '--json', '--batch-size', str(batch),
         '--labels', str(n_labels), '--steps', str(rounds)],
        check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=arg_types.HelpFormatter)
    p.add_argument('--rounds', type=int, default=5,
                   help='rounds, each timing both frameworks')
    p.add_argument('--torch-python', default='/tmp/torchvenv/bin/python',
                   help='a Python with torch installed')
    p.add_argument('--batch-size', type=int, default=16,
                   help='images in the batched figure')
    p.add_argument('--labels', type=int, default=5,
                   help='label length of the generator')
    args = p.parse_args(argv)
    if not os.path.exists(args.torch_python):
        sys.exit('inference_versus.py: error: no Python at {} (--torch-python'
                 '); see benchmarks/torch_reference.py to make one'.format(
                     args.torch_python))
    devices.keep_freed_memory()  # as train.py and bench.py do
    rounds = measures.INFER_ROUNDS
    ratios = {k: [] for k in KEYS}
    print('round  ours batched / one   pytorch batched / one   ratio '
          'batched / one')
    for r in range(args.rounds):
        runs = [lambda: ours(args.batch_size, args.labels, rounds),
                lambda: pytorch(args.torch_python, args.batch_size,
                                args.labels, rounds)]
        if r % 2:  # alternate who goes first
            mine, ref = [f() for f in runs[::-1]][::-1]
        else:
            mine, ref = [f() for f in runs]
        for k in KEYS:
            ratios[k].append(mine[k] / ref[k])
        print('{:>5}  {:7.1f} / {:6.1f}      {:7.1f} / {:6.1f}         '
              '{:5.2f} / {:5.2f}'.format(
                  r, mine[KEYS[0]], mine[KEYS[1]], ref[KEYS[0]],
                  ref[KEYS[1]], ratios[KEYS[0]][-1], ratios[KEYS[1]][-1]))
    for k in KEYS:
        print('{}: ours / pytorch median {:.2f} (rounds {:.2f} to {:.2f})'
              .format(k, statistics.median(ratios[k]), min(ratios[k]),
                      max(ratios[k])))
    return ratios


if __name__ == '__main__':
    main()
