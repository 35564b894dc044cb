"""Command-line options of ``train_sr.py``: its own flags plus those it
shares with ``train.py`` (data split, run directory, determinism)."""
import argparse

from faceapp import arg_types
from faceapp import train_options
from stargan.models import sr

#: Columns of the terminal log.
PRINT_KEYS = ['iteration', 'elapsed_time', 'sr/loss']


def build_parser(description):
    """The argument parser of ``train_sr.py``.

    Args:
        description (str): The script's help text.

    Returns:
        argparse.ArgumentParser
    """
    p = argparse.ArgumentParser(
        description=description,
        formatter_class=arg_types.HelpFormatter)
    data = p.add_argument_group('data')
    data.add_argument('--dataset', default=None, metavar='PATH', help=(
        'face pictures at the large size: any folder of face crops (all '
        'pictures under it, e.g. prepare.py\'s OUT or a folder per '
        'domain), an .npz pack of prepare.py, or synthetic (the project\'s '
        'own faces); omitted: synthetic'))
    train_options.add_split_sizes(data)
    data.add_argument('--prefetch', type=int, default=2, metavar='N',
                      help='batches read ahead in a background thread')
    model = p.add_argument_group('model')
    model.add_argument('--scale', type=int, choices=sr.SCALES, default=2,
                       help='enlargement')
    model.add_argument('--image-size', type=int, default=32, help=(
        'side of the small pictures in pixels (the generator\'s size); '
        'the faces are read at --scale times it'))
    model.add_argument('--channels', type=int, default=32,
                       help='width of the network')
    model.add_argument('--n-blocks', type=int, default=2,
                       help='residual blocks')
    train = p.add_argument_group('training')
    train.add_argument('--batch-size', type=int, default=16)
    train.add_argument('--iterations', type=int, default=2000)
    train.add_argument('--lr', type=arg_types.positive_float, default=1e-3,
                       help='Adam learning rate; decays linearly to 0 over '
                       'the second half')
    run = p.add_argument_group('run')
    train_options.add_run_options(run, 'result_sr', log_interval=50,
                                  n_samples=6, rows='held-out faces',
                                  restored=', exactly')
    return p


def resolve(args):
    """The options as a plain dict, interval defaults filled in."""
    opts = vars(args).copy()
    n = opts['iterations']
    opts['sample_interval'] = opts['sample_interval'] or max(1, n // 10)
    opts['snapshot_interval'] = opts['snapshot_interval'] or max(1, n // 4)
    opts['decay_start'] = n // 2
    return opts


def check(parser, opts):
    """Rejects impossible values with a message naming the flag."""
    for key in ('image_size', 'channels', 'batch_size', 'iterations',
                'log_interval', 'sample_interval', 'snapshot_interval',
                'n_train', 'n_test', 'n_samples', 'keep_snapshots'):
        if opts[key] < 1:
            parser.error('--{} must be positive, got {}'.format(
                key.replace('_', '-'), opts[key]))
    if opts['n_blocks'] < 0 or opts['prefetch'] < 0:
        parser.error('--n-blocks and --prefetch must be 0 or more')
    if opts['image_size'] < 4:
        parser.error('--image-size must be at least 4, got {}'.format(
            opts['image_size']))
