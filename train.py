#!/usr/bin/env python
"""Train StarGAN to translate faces between domains (expressions, hair, ...).

Without --dataset it trains on procedurally drawn anime faces (five
expressions) that the project generates itself, so `python train.py` works on
a fresh machine with no download. Sample grids (rows: fixed test faces;
columns: the input, then every target domain) appear in the out dir as
samples_iter_*.png and samples_latest.png, loss curves as loss_*.png.
"""
import argparse
import os
import sys

os.environ.setdefault('MPLBACKEND', 'Agg')  # headless machines have no display

import numpy  # NOQA: E402

from datasets.folder import DatasetError  # NOQA: E402
from extensions import cyclegan_wiring  # NOQA: E402
from extensions import devices  # NOQA: E402
from extensions import evaluation  # NOQA: E402
from extensions import export  # NOQA: E402
from extensions import multinode  # NOQA: E402
from extensions import runs  # NOQA: E402
from extensions import safety  # NOQA: E402
from extensions import snapshots  # NOQA: E402
from extensions import stargan_wiring  # NOQA: E402
from stargan import presets  # NOQA: E402

#: What --model accepts (CycleGAN is wired by extensions/cyclegan_wiring.py).
MODEL_NAMES = ('cyclegan', 'stargan')


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    data = p.add_argument_group('data')
    data.add_argument('--dataset', action='append', default=None,
                      metavar='PATH', help=(
                          'a folder with one sub-folder of images per domain '
                          '(DIR/<domain>/*.png|jpg), a CelebA-style root '
                          'holding list_attr_celeba.txt (with --attrs), an '
                          '.npz pack written by prepare.py, or the '
                          'project\'s own faces: synthetic, '
                          'synthetic:expression, synthetic:hair, '
                          'synthetic:expression+hair; omitted: synthetic. '
                          'Repeat it to train one model on several datasets '
                          'with their own label sets (StarGAN\'s mask '
                          'vector), e.g. --dataset synthetic:expression '
                          '--dataset synthetic:hair'))
    data.add_argument('--joint-ratio', type=float, nargs='+', default=None,
                      metavar='W', help=(
                          'with several --dataset: relative share of batches '
                          'from each, e.g. 2 1; default: take turns, as the '
                          'paper does'))
    data.add_argument('--attrs', nargs='+', default=None, metavar='NAME',
                      help=('CelebA attributes to learn, e.g. Black_Hair '
                            'Blond_Hair Brown_Hair Male Young (hair colours '
                            'form one exclusive group)'))
    data.add_argument('--skip-bad', action='store_true', help=(
        'skip unreadable images (and report how many) instead of stopping'))
    data.add_argument('--prefetch', type=int, default=2, metavar='N', help=(
        'batches read ahead in a background thread while the current one '
        'trains, so decoding never stalls training; 0 reads in the training '
        'thread. Resume stays exact either way'))
    data.add_argument('--attributes', nargs='+', default=['expression'],
                      choices=['expression', 'hair'], help=(
                          'label groups of the synthetic faces; add "hair" '
                          'for multi-label training'))
    data.add_argument('--n-train', type=int, default=2000,
                      help='synthetic training faces')
    data.add_argument('--n-test', type=int, default=200,
                      help='synthetic test faces')
    data.add_argument('--test-fraction', type=float, default=0.1,
                      help='share of each --dataset domain held out')
    model = p.add_argument_group('model')
    model.add_argument('--model', choices=MODEL_NAMES, default='stargan',
                       help='what to train')
    model.add_argument('--preset', choices=sorted(
        set(presets.PRESETS) | set(presets.CYCLEGAN_PRESETS)),
                       default=None, help=(
                           'network size; default: {} on CPU, {} with --gpu'
                           .format(presets.CPU_DEFAULT, presets.GPU_DEFAULT)))
    model.add_argument('--image-size', type=int, default=None,
                       help='pixels (default: the preset\'s)')
    train = p.add_argument_group('training')
    train.add_argument('--batch-size', type=int, default=None,
                       help='default: the preset\'s')
    train.add_argument('--iterations', type=int, default=None,
                       help='D steps in all (default: the preset\'s)')
    train.add_argument('--decay-start', type=int, default=None, help=(
        'iteration where learning rates start decaying linearly to 0 '
        '(default: half of --iterations)'))
    train.add_argument('--n-critic', type=int, default=None,
                       help='D steps per G step (default: the preset\'s; '
                       'paper: 5)')
    train.add_argument('--lambda-cls', type=float, default=1.,
                       help='weight of domain classification')
    train.add_argument('--lambda-rec', type=float, default=10.,
                       help='weight of cycle reconstruction')
    train.add_argument('--lambda-gp', type=float, default=10.,
                       help='weight of the gradient penalty')
    train.add_argument('--g-lr', type=float, default=None, help=(
        'G Adam learning rate (default: the preset\'s; paper: 1e-4)'))
    train.add_argument('--d-lr', type=float, default=None, help=(
        'D Adam learning rate (default: the preset\'s; paper: 1e-4)'))
    train.add_argument('--beta1', type=float, default=0.5, help='Adam beta1')
    train.add_argument('--beta2', type=float, default=0.999,
                       help='Adam beta2')
    run = p.add_argument_group('run')
    run.add_argument('--gpu', type=int, default=-1,
                     help='GPU id (needs CuPy and CUDA); -1 trains on CPU')
    run.add_argument('--seed', type=int, default=0, help='random seed')
    run.add_argument('--out', default='result', help='output directory')
    run.add_argument('--log-interval', type=int, default=10,
                     help='iterations between log lines')
    run.add_argument('--sample-interval', type=int, default=None, help=(
        'iterations between sample grids (default: iterations / 10)'))
    run.add_argument('--snapshot-interval', type=int, default=None, help=(
        'iterations between trainer snapshots (default: iterations / 4)'))
    run.add_argument('--n-samples', type=int, default=8,
                     help='test faces (rows) in each sample grid')
    run.add_argument('--resume', default=None, metavar='SNAPSHOT', help=(
        'continue from a trainer snapshot file, or "auto" for the newest '
        'complete one in --out; models, optimizers, data order, learning '
        'rates and random streams are restored exactly'))
    run.add_argument('--force', action='store_true', help=(
        'train into an --out that holds a run with other options'))
    run.add_argument('--keep-snapshots', type=int, default=3,
                     help='how many trainer snapshots to keep')
    run.add_argument('--communicator', default=None,
                     choices=sorted(multinode.COMMUNICATORS), help=(
                         'train data-parallel over MPI processes started by '
                         'mpiexec -n N (ChainerMN): naive on CPUs, flat or '
                         'pure_nccl on GPUs (process i uses GPU --gpu + its '
                         'rank on the machine). --batch-size is per '
                         'process; N processes train like one at N times '
                         'the batch. Needs the mpi extra (see README)'))
    cyclegan_wiring.add_arguments(p)
    ev = p.add_argument_group('evaluation during training')
    ev.add_argument('--eval-interval', type=int, default=None, help=(
        'iterations between eval/* metrics judged by a domain classifier '
        '(default: the snapshot interval; 0 turns evaluation off)'))
    ev.add_argument('--n-eval', type=int, default=100,
                    help='test images translated at each evaluation')
    ev.add_argument('--classifier-iterations', type=int, default=600,
                    help='training steps of the judging classifier')
    ev.add_argument('--cache-dir', default=evaluation.default_cache_dir(),
                    help='where judging classifiers are cached')
    return p, p.parse_args(argv)


def resolve(args):
    """Fills preset-dependent defaults; returns the options as a plain dict.
    """
    opts = vars(args).copy()
    if opts['dataset'] and len(opts['dataset']) == 1:
        opts['dataset'] = opts['dataset'][0]  # one dataset: a plain path
    if opts['model'] == 'cyclegan':
        # Own presets and defaults (Adam 2e-4); eval/* needs a G(x, c).
        return dict(cyclegan_wiring.resolve_options(opts), eval_interval=0)
    name = opts['preset'] or (presets.GPU_DEFAULT if args.gpu >= 0
                              else presets.CPU_DEFAULT)
    preset = presets.get_preset(name)
    opts['preset'] = name
    for key in ('image_size', 'batch_size', 'iterations', 'n_critic', 'g_lr',
                'd_lr'):
        if opts[key] is None:
            opts[key] = preset[key]
    for key in ('g_conv_dim', 'g_res', 'd_conv_dim', 'd_down'):
        opts[key] = preset[key]
    n = opts['iterations']
    opts['decay_start'] = n // 2 if opts['decay_start'] is None \
        else opts['decay_start']
    opts['sample_interval'] = opts['sample_interval'] or max(1, n // 10)
    opts['snapshot_interval'] = opts['snapshot_interval'] or max(1, n // 4)
    if opts['eval_interval'] is None:
        opts['eval_interval'] = opts['snapshot_interval']
    return opts


def check_options(parser, opts):
    """Rejects impossible values with a message naming the flag."""
    positive = ('image_size', 'batch_size', 'iterations',
                'log_interval', 'sample_interval', 'snapshot_interval',
                'n_train', 'n_test', 'n_samples', 'n_eval', 'keep_snapshots',
                'classifier_iterations')
    if opts['model'] == 'stargan':
        positive += ('n_critic',)
    for key in positive:
        if opts[key] < 1:
            parser.error('--{} must be positive, got {}'.format(
                key.replace('_', '-'), opts[key]))
    if opts['prefetch'] < 0:
        parser.error('--prefetch must be 0 (off) or positive, got {}'.format(
            opts['prefetch']))
    if opts['eval_interval'] < 0:
        parser.error('--eval-interval must be 0 (off) or positive, got '
                     '{}'.format(opts['eval_interval']))
    if opts['model'] == 'stargan' and \
            opts['image_size'] % 2 ** opts['d_down']:
        parser.error('--image-size {} must be a multiple of {} for preset '
                     '{}'.format(opts['image_size'], 2 ** opts['d_down'],
                                 opts['preset']))


def check_datasets(parser, opts):
    """Several --dataset need StarGAN; --joint-ratio one weight each."""
    n = len(runs.dataset_specs(opts))
    if n > 1 and opts['model'] != 'stargan':
        parser.error('--model {} trains on one --dataset; several datasets '
                     'at once need --model stargan'.format(opts['model']))
    ratio = opts['joint_ratio']
    if ratio is None:
        return
    if n < 2:
        parser.error('--joint-ratio needs two or more --dataset')
    if len(ratio) != n or min(ratio) < 0 or sum(ratio) <= 0:
        parser.error('--joint-ratio needs one non-negative weight per '
                     '--dataset ({} here), not all 0; got {}'.format(
                         n, ' '.join(str(r) for r in ratio)))


def get_device(parser, gpu):
    """``chainer.get_device`` for ``--gpu``, failing clearly without CUDA."""
    try:
        return devices.get_device(gpu)
    except ValueError as e:
        parser.error(str(e))


def make_trainer(opts, train, test, device, comm=None):
    """Wires models, optimizers, updater and extensions into a Trainer.

    Returns:
        tuple: ``(trainer, stop trigger, snapshot extension or None)``.
    """
    stop = safety.GracefulStop(
        (opts['iterations'], 'iteration'),
        agree=None if comm is None else multinode.agree_to_stop(comm))
    if opts['model'] == 'cyclegan':
        trainer = cyclegan_wiring.make_cyclegan_trainer(
            opts, train, test, device, stop_trigger=stop, comm=comm)
    else:
        trainer = stargan_wiring.make_stargan_trainer(
            opts, train, test, device, stop_trigger=stop, comm=comm)
    trainer.extend(safety.DivergenceGuard())
    writer = multinode.is_writer(comm)
    return trainer, stop, trainer.get_extension('snapshot') if writer \
        else None


def prepare_out_dir(parser, opts, writer=True):
    """Checks the out dir (``writer``: the process that writes there) and
    resolves ``--resume auto``."""
    out = opts['out']
    try:
        if writer:
            safety.check_writable(out)
    except OSError as e:
        parser.error('--out {}: cannot write there ({}); choose another '
                     'directory'.format(out, e.strerror or e))
    if opts['resume'] == 'auto':
        opts['resume'] = safety.latest_snapshot(out)
        if opts['resume'] is None:
            parser.error('--resume auto: no complete snapshot_iter_* in {}'
                         .format(out))
    elif opts['resume'] and not os.path.isfile(opts['resume']):
        parser.error('--resume {}: no such file'.format(opts['resume']))
    conflicts = safety.conflicting_options(out, opts)
    if conflicts and not (opts['resume'] or opts['force']):
        parser.error(
            '--out {} holds a run with other options ({}); pass --resume '
            'auto to continue it, --force to train over it, or choose '
            'another --out'.format(out, '; '.join(conflicts)))


def run_training(trainer, stop, snapshot, opts, export_config):
    """Runs the trainer, then exports the generator for translate.py; on
    SIGINT/SIGTERM also saves a snapshot and says how to resume. Returns the
    exit code. ``snapshot`` is None in processes that write nothing."""
    stop.install()
    try:
        trainer.run()
    except safety.DivergenceError as e:
        print('error: {}'.format(e), file=sys.stderr)
        return 1
    except Exception as e:
        if isinstance(e, MemoryError) or 'OutOfMemory' in type(e).__name__:
            print('error: out of memory ({}). Try a smaller --batch-size or '
                  '--preset.'.format(type(e).__name__), file=sys.stderr)
            return 1
        raise
    finally:
        stop.uninstall()
    if snapshot is None:  # not process 0 of a data-parallel run
        return 0
    if export_config is not None:
        export.export_generator(
            os.path.join(opts['out'], export.EXPORT_NAME),
            trainer.updater.get_optimizer('gen').target,
            export_config)
    if stop.stopped:
        snapshot(trainer)
        print('\nStopped by {} at iteration {}; snapshot written. Resume '
              'with the same options plus: --resume auto --out {}'.format(
                  stop.received or 'a signal to another process',
                  trainer.updater.iteration, opts['out']))
    else:
        print('Done. Samples: {}{}'.format(
            os.path.join(opts['out'], 'samples_latest.png'),
            '' if export_config is None else '; model for translate.py: '
            + os.path.join(opts['out'], export.EXPORT_NAME)))
    return 0


def main(argv=None):
    parser, args = parse_args(argv)
    comm = None
    if args.communicator:
        try:
            comm = multinode.create_communicator(args.communicator, args.gpu)
        except multinode.SetupError as e:
            parser.error(str(e))
    try:
        code = train_main(parser, args, comm)
    except BaseException as e:
        if comm is not None and comm.size > 1 and not (
                isinstance(e, SystemExit) and not e.code):
            multinode.abort(comm, e)  # else the others wait forever
        raise
    if code and comm is not None and comm.size > 1:
        multinode.abort(comm, RuntimeError('exit code {}'.format(code)))
    return code


def train_main(parser, args, comm=None):
    """Trains as the options say; ``comm`` for data-parallel processes."""
    check_datasets(parser, vars(args))
    try:
        opts = resolve(args)
    except ValueError as e:
        parser.error(str(e))
    check_options(parser, opts)
    device = get_device(parser, opts['gpu'] if comm is None
                        else multinode.device_spec(comm, opts['gpu']))
    device.use()
    if device.xp is numpy:
        devices.keep_freed_memory()
    prepare_out_dir(parser, opts, multinode.is_writer(comm))
    try:
        train, test = runs.make_datasets(opts)
    except (DatasetError, ValueError) as e:
        parser.error(str(e))
    # chainer's initializers draw from numpy's global stream: seeding it here
    # (the script, not the library) makes a run reproducible from --seed.
    numpy.random.seed(opts['seed'])
    try:
        trainer, stop, snapshot = make_trainer(opts, train, test, device,
                                               comm)
    except ValueError as e:  # unknown domains, a missing --perceptual-net
        parser.error(str(e))
    if opts['resume']:
        try:
            snapshots.load_npz(opts['resume'], trainer)
        except snapshots.UnsafeFileError as e:
            parser.error('--resume: {}'.format(e))
    if not multinode.is_writer(comm):
        return run_training(trainer, stop, None, opts, None)
    snapshots.write_json_atomic(opts, os.path.join(opts['out'], 'args.json'))
    domains = opts.get('domains') or train.label_names
    print('{} | preset {} | {} px | {} train / {} test images | '
          'domains: {} | device {}{} | out {}'.format(
              'CycleGAN' if opts['model'] == 'cyclegan' else 'StarGAN',
              opts['preset'], opts['image_size'], len(train), len(test),
              ', '.join(domains), device, '' if comm is None else
              ' x {} processes'.format(comm.size), opts['out']))
    config = None if opts['model'] == 'cyclegan' else \
        export.config_from_options(opts, train)
    return run_training(trainer, stop, snapshot, opts, config)


if __name__ == '__main__':
    sys.exit(main())
