"""One training run as ``train.py`` does it: resolve and check the options,
build the trainer, resume, train, export."""
import os
import sys

import numpy

from datasets.folder import DatasetError
from extensions import multinode
from extensions import rescue
from extensions import safety
from faceapp import cyclegan_export
from faceapp import cyclegan_wiring
from faceapp import devices
from faceapp import export
from faceapp import quality_options
from faceapp import run_end
from faceapp import run_files
from faceapp import run_lock
from faceapp import runs
from faceapp import snapshots
from faceapp import stargan_wiring
from faceapp import train_options
from stargan import presets


#: What --model accepts.
MODEL_NAMES = train_options.MODEL_NAMES


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
    quality_options.check(parser, opts)
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
    trainer.extend(safety.DivergenceGuard(
        check_interval=safety.check_interval(
            opts['log_interval'], opts['snapshot_interval'],
            opts.get('sample_interval'), opts.get('eval_interval')),
        last=opts['iterations']))
    trainer.extend(rescue.Progress(lambda: runs.count_skipped(train)))
    writer = multinode.is_writer(comm)
    return trainer, stop, trainer.get_extension('snapshot') if writer \
        else None


def prepare_out_dir(parser, opts, writer=True):
    """Checks the out dir (``writer``: the process that writes there) and
    resolves ``--resume auto``; the writer takes the out dir's lock and
    removes temporary files of killed runs. Returns the lock (None for
    other processes); release it when the run ends."""
    out = opts['out']
    lock = None
    if writer:
        try:
            run_files.check_writable(out)
            lock = run_lock.take(out)
        except run_lock.BusyError as e:
            parser.error('--out {}'.format(e))
        except OSError as e:
            parser.error('--out {}: cannot write there ({}); choose another '
                         'directory'.format(out, e.strerror or e))
    try:
        moved = run_lock.check_earlier_run(opts, writer)
    except BaseException as e:
        if lock is not None:
            lock.release()
        if isinstance(e, ValueError):
            parser.error(str(e))
        raise
    if moved:
        print('--force: moved the earlier run in {} to {}/'.format(out, moved))
    return lock


def run_training(trainer, stop, snapshot, opts, export_config):
    """Runs the trainer, then exports the generator for translate.py; on
    SIGINT/SIGTERM also saves a snapshot and says how to resume, after an
    exception saves the last completed iteration where it can. Returns the
    exit code (see :func:`faceapp.run_end.exit_code`). ``snapshot`` is
    None in processes that write nothing."""
    progress = trainer.get_extension(rescue.Progress.name)
    out = opts['out']
    stop.install()
    try:
        with train_options.deterministic(opts):
            trainer.run(show_loop_exception_msg=False)  # error.txt has it
        safety.raise_late_divergence(trainer)
    except safety.DivergenceError as e:
        print('error: {} {}.'.format(e, run_end.capitalized(
            run_files.describe_newest(out))), file=sys.stderr)
        return 1
    except Exception as e:
        if isinstance(e, MemoryError) or 'OutOfMemory' in type(e).__name__:
            what = ('out of memory ({}). Try a smaller --batch-size or '
                    '--preset'.format(type(e).__name__))
        else:
            what = 'training failed after iteration {}: {}: {}'.format(
                trainer.updater.iteration, type(e).__name__, e)
        saved = '' if snapshot is None else ' ' + run_end.save_after_failure(
            trainer, snapshot, progress, out)
        print('error: {}.{}'.format(what, saved), file=sys.stderr)
        return 1
    finally:
        stop.uninstall()
    code = run_end.exit_code(stop, trainer, opts['iterations'])
    if snapshot is None:  # not process 0 of a data-parallel run
        return code
    if export_config is not None:
        _export(trainer.updater, os.path.join(out, export.EXPORT_NAME),
                export_config)
    if code:
        snapshot(trainer)
        print('\nStopped by {} at iteration {}; snapshot written. Resume '
              'with the same options plus: --resume auto --out {}'.format(
                  stop.received or 'a signal to another process',
                  trainer.updater.iteration, out))
    else:
        print('Done. Samples: {}{}'.format(
            os.path.join(out, 'samples_latest.png'),
            '' if export_config is None else '; model for translate.py: '
            + os.path.join(out, export.EXPORT_NAME)))
    return code


def _export(updater, path, config):
    """Writes the model file translate.py loads, of either model."""
    if config['model'] == cyclegan_export.MODEL:
        cyclegan_export.export_pair(path, updater.gen_ab, updater.gen_ba,
                                    config)
    else:
        export.export_generator(path, updater.inference_generator(), config)


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
    elif multinode.is_writer(comm):
        devices.report_gpu(device.device.id)
    auto = opts['resume'] == 'auto'
    lock = prepare_out_dir(parser, opts, multinode.is_writer(comm))
    try:
        done = run_files.snapshot_iteration(opts['resume'] or '')
        if auto and done is not None and done >= opts['iterations']:
            print('{} is already complete: it reached iteration {} of {}; '
                  'nothing to train. Pass a larger --iterations to continue '
                  'it.'.format(opts['out'], done, opts['iterations']))
            return 0
        return train_in(parser, opts, device, comm)
    finally:
        if lock is not None:
            lock.release()


def train_in(parser, opts, device, comm=None):
    """Builds and runs the training once the out dir is checked."""
    try:
        train, test = runs.make_datasets(opts)
        runs.check_batch_size(train, opts['batch_size'])
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
            runs.check_generator_kind(opts['resume'], opts)
            snapshots.load_npz(opts['resume'], trainer)
        except snapshots.UnsafeFileError as e:
            parser.error('--resume: {}'.format(e))
    if not multinode.is_writer(comm):
        return run_training(trainer, stop, None, opts, None)
    run_files.write_options(opts, opts['out'])
    domains = opts.get('domains') or train.label_names
    print('{} | preset {} | {} px | {} train / {} test images | '
          'domains: {} | device {}{} | out {}'.format(
              'CycleGAN' if opts['model'] == 'cyclegan' else 'StarGAN',
              opts['preset'], opts['image_size'], len(train), len(test),
              ', '.join(domains), device, '' if comm is None else
              ' x {} processes'.format(comm.size), opts['out']))
    config = cyclegan_export.config_from_options(opts) \
        if opts['model'] == 'cyclegan' else \
        export.config_from_options(opts, train)
    return run_training(trainer, stop, snapshot, opts, config)


def main(argv=None, description=None):
    """``train.py``'s main: parses ``argv`` (``description`` is the
    help text), trains; returns the exit code."""
    parser = train_options.build_parser(description)
    args = parser.parse_args(argv)
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
    if code not in (0,) + run_end.STOP_CODES and comm is not None and \
            comm.size > 1:  # a signal stops them all already
        multinode.abort(comm, RuntimeError('exit code {}'.format(code)))
    return code
