#!/usr/bin/env python
"""Compare StarGAN with the CycleGAN baseline on the same domains, data,
image size and iteration budget.

StarGAN learns all chosen domains with one generator; CycleGAN needs one
model per pair of domains (k(k-1)/2 models, k(k-1) generators). Both train
on the chosen domains' training images only (both as train.py trains them,
into OUT/stargan and OUT/cyclegan/<a>_<b>), or are loaded from given
run dirs. The same held-out images are then translated by both and judged
by the same cached domain classifier. Writes OUT/report.md,
OUT/comparison.json and OUT/comparison.png.

Example: python compare.py --domains smile sad --iterations 500 --out cmp
"""
import argparse
import os
import sys

os.environ.setdefault('MPLBACKEND', 'Agg')  # headless machines have no display

from faceapp import devices  # NOQA: E402
devices.preload_cuda_libraries()  # before chainer (below) imports CuPy

from datasets.folder import DatasetError  # NOQA: E402
from faceapp import arg_types  # NOQA: E402
from faceapp import compare  # NOQA: E402
from faceapp import options  # NOQA: E402
from faceapp import outputs  # NOQA: E402
from faceapp import run_lock  # NOQA: E402
from faceapp import snapshots  # NOQA: E402
from faceapp import train_options  # NOQA: E402
from stargan import presets  # NOQA: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=arg_types.HelpFormatter)
    p.add_argument('--domains', nargs='+', required=True, metavar='NAME',
                   help='two or more label names to translate between')
    data = p.add_argument_group('data (as in train.py)')
    data.add_argument('--dataset', default=None, metavar='PATH',
                      help='folder, CelebA root or pack; omitted: synthetic '
                           'faces')
    data.add_argument('--attrs', nargs='+', default=None, metavar='NAME',
                      help='CelebA attributes to load')
    data.add_argument('--attributes', nargs='+', default=['expression'],
                      choices=['expression', 'hair'],
                      help='label groups of the synthetic faces')
    train_options.add_split_sizes(data)
    budget = p.add_argument_group('shared budget')
    sizes = sorted(set(presets.PRESETS) & set(presets.CYCLEGAN_PRESETS))
    budget.add_argument('--preset', choices=sizes, default=None, help=(
        'network sizes of both models; default: small on CPU, paper with '
        '--gpu'))
    budget.add_argument('--image-size',
                        type=arg_types.positive_int, default=None,
                        help='pixels (default: the preset\'s)')
    budget.add_argument('--batch-size',
                        type=arg_types.positive_int, default=None,
                        help='both models (default: the StarGAN preset\'s)')
    budget.add_argument('--iterations',
                        type=arg_types.positive_int, default=None,
                        help='per model (default: the preset\'s)')
    cg = p.add_argument_group('CycleGAN variant')
    train_options.add_cyclegan_variants(cg)
    given = p.add_argument_group('trained runs (skip training)')
    given.add_argument('--stargan-run', default=None, metavar='DIR',
                       help='a train.py out dir')
    given.add_argument('--cyclegan-runs', nargs='+', default=None,
                       metavar='DIR', help='CycleGAN pair run dirs, one '
                       'per pair of --domains')
    ev = p.add_argument_group('evaluation')
    ev.add_argument('--n-eval', type=int, default=100,
                    help='held-out images, spread over the domains')
    train_options.add_judge_options(ev)
    run = p.add_argument_group('run')
    run.add_argument('--gpu', type=int, default=-1, help='GPU id; -1: CPU')
    run.add_argument('--seed', type=int, default=0, help='random seed')
    run.add_argument('--out', default='compare', help='output directory')
    run.add_argument('--force', action='store_true', help=(
        'train again over an earlier comparison in --out: its runs are '
        'moved aside (train.py --force), not deleted'))
    run.add_argument('--log-interval', type=int, default=50,
                     help='iterations between log lines of each run')
    run.add_argument('--n-samples', type=int, default=8,
                     help='rows of each run\'s sample grids')
    run.add_argument('--pack-test', type=arg_types.open_fraction,
                     default=0.05, help=(
        'share of the chosen domains\' training images both runs keep for '
        'their sample grids'))
    return p, p.parse_args(argv)


def resolve(parser, args):
    """Fills the preset's sizes; returns the options as a plain dict."""
    cfg = vars(args).copy()
    if len(set(cfg['domains'])) != len(cfg['domains']) or \
            len(cfg['domains']) < 2:
        parser.error('--domains needs two or more different names, got '
                     '{}'.format(' '.join(cfg['domains'])))
    cfg['preset'] = cfg['preset'] or options.default_preset(cfg['gpu'])
    options.fill_from_preset(cfg, presets.get_preset(cfg['preset']),
                             ('image_size', 'batch_size', 'iterations'))
    if cfg['n_eval'] < 2 * len(cfg['domains']):
        parser.error('--n-eval must be at least 2 per domain')
    return cfg


def main(argv=None):
    parser, args = parse_args(argv)
    cfg = resolve(parser, args)
    try:
        outputs.check_out_dir(cfg['out'])
    except outputs.OutputError as e:
        parser.error(str(e))
    earlier = compare.earlier_runs(cfg)
    if earlier and not cfg['force']:
        parser.error(
            '--out {} holds an earlier comparison\'s runs ({}); pass --force '
            'to move them aside (into previous-<time>/ inside each) and '
            'train again, --stargan-run/--cyclegan-runs to reuse trained '
            'runs, or choose another --out'.format(
                cfg['out'], ', '.join(earlier)))
    run_lock.tidy(cfg['out'])  # temporary files of a killed run
    try:
        result = compare.run(cfg)
    except (DatasetError, ValueError, snapshots.UnsafeFileError,
            outputs.OutputError) as e:
        parser.error(str(e))
    if 'judge_warning' in result:
        print(result['judge_warning'])
    for name, model in result['models'].items():
        print('{:<9} target accuracy {:.3f}  parameters {}  time {} s'.format(
            name, model['overall']['target_accuracy'],
            sum(model['parameters'].values()), model['train_time_s']))
    print('Report: {}'.format(os.path.join(cfg['out'], 'report.md')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
