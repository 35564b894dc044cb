"""What "doing nothing" scores on a run's data: the identity map, judged as
``evaluate.py`` judges the run's generator.

A distance / floor figure is easier to read beside the figure of a
generator that returns every face unchanged: on the anime hair set that is
63x, so a run at 4x has covered most of the way to the floor (1x).

    python -m benchmarks.identity_baseline RUN --n-test 500

The run supplies the datasets and the split (its ``args.json``), the judge
is the same cached classifier ``evaluate.py`` trains, and nothing of the
run is changed.
"""
import argparse
import os
import sys

import chainer

from benchmarks import quality
from faceapp import report
from faceapp import run_files
from faceapp import runs
from faceapp import scoring

#: Metrics that mean something for the identity map (its reconstruction
#: is 0 by construction, and so is its identity score).
METRIC_NAMES = ['target_accuracy', 'feature_distances', 'identity',
                'ground_truth']


def identity(x, c):
    """The generator that changes nothing: ``G(x, c) = x``."""
    return chainer.Variable(x.copy())


def score(opts, n_test, judge):
    """The identity map's scores on a run's test set.

    Args:
        opts (dict): A single-dataset StarGAN run's options (its
            ``args.json``).
        n_test (int): Test images (spread over the test set).
        judge (~faceapp.scoring.JudgeOptions): The judge's settings.

    Returns:
        dict: As :func:`faceapp.scoring.score_stargan` returns.
    """
    train, test = runs.make_datasets(opts)
    result, _ = scoring.score_stargan(
        identity, train, test, n_test, METRIC_NAMES, judge,
        chainer.get_device('@numpy'))
    return result


def main(argv=None):
    p = argparse.ArgumentParser(
        prog='python -m benchmarks.identity_baseline',
        description=__doc__.split('\n\n')[0])
    p.add_argument('run', help='a train.py run directory (its args.json)')
    quality.add_judge_arguments(p)
    args = p.parse_args(argv)
    if not os.path.isfile(os.path.join(args.run, 'args.json')):
        p.error('{}: no args.json there; pass a directory train.py wrote'
                .format(args.run))
    opts = run_files.read_options(args.run)
    if opts.get('model') != 'stargan':
        p.error('{}: not a StarGAN run; the baseline scores the StarGAN '
                'evaluation (compare.py scores CycleGAN runs)'.format(
                    args.run))
    try:
        result = score(opts, args.n_test, scoring.JudgeOptions(
            args.cache_dir, args.classifier_iterations))
    except (OSError, ValueError) as e:
        p.error('{}: {}'.format(args.run, e))
    print(report.summary(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
