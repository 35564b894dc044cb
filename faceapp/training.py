"""One training run as ``train.py`` does it: resolve and check the options
(:mod:`faceapp.options`), build the trainer (:mod:`faceapp.wiring`),
resume, train, export. :func:`run` takes the options as a plain dict (what
``compare.py`` calls); :func:`main` parses ``train.py``'s flags."""
import os
import sys

import numpy

from datasets.folder import DatasetError
from extensions import multinode
from extensions import rescue
from extensions import safety
from faceapp import cyclegan_export
from faceapp import devices
from faceapp import export
from faceapp import options
from faceapp.options import OptionError
from faceapp import run_end
from faceapp import run_files
from faceapp import run_lock
from faceapp import runs
from faceapp import snapshots
from faceapp import train_options
from faceapp import wiring


#: What --model accepts.
MODEL_NAMES = train_options.MODEL_NAMES


def prepare_out_dir(opts, writer=True):
    """Checks the out dir (``writer``: the process that writes there) and
    resolves ``--resume auto``; the writer takes the out dir's lock and
    removes temporary files of killed runs. Returns the lock (None for
    other processes); release it when the run ends.

    Raises:
        ~faceapp.options.OptionError: The run cannot use the out dir.
    """
    out = opts['out']
    lock = None
    if writer:
        try:
            run_files.check_writable(out)
            lock = run_lock.take(out)
        except run_lock.BusyError as e:
            raise OptionError('--out {}'.format(e))
        except OSError as e:
            raise OptionError('--out {}: cannot write there ({}); choose '
                              'another directory'.format(
                                  out, e.strerror or e))
    try:
        moved = run_lock.check_earlier_run(opts, writer)
    except BaseException as e:
        if lock is not None:
            lock.release()
        if isinstance(e, ValueError):
            raise OptionError(str(e))
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


def run(given, comm=None):
    """Trains as the options say: ``train.py``'s run, without its parser.

    Args:
        given (dict): Options keyed like ``train.py``'s flags; missing keys
            take its defaults (see :func:`faceapp.options.resolve`).
        comm: A ChainerMN communicator for data-parallel processes.

    Returns:
        int: The exit code (see :func:`faceapp.run_end.exit_code`).

    Raises:
        ~faceapp.options.OptionError: The run cannot start (bad options,
            data, device, out dir or resume file); nothing was trained.
    """
    opts = options.resolve(given)
    spec = opts['gpu'] if comm is None else multinode.device_spec(
        comm, opts['gpu'])
    try:
        device = devices.get_device(spec)
    except ValueError as e:
        raise OptionError(str(e))
    device.use()
    if device.xp is numpy:
        devices.keep_freed_memory()
    elif multinode.is_writer(comm):
        devices.report_gpu(device.device.id)
    auto = opts['resume'] == 'auto'
    lock = prepare_out_dir(opts, multinode.is_writer(comm))
    try:
        done = run_files.snapshot_iteration(opts['resume'] or '')
        if auto and done is not None and done >= opts['iterations']:
            print('{} is already complete: it reached iteration {} of {}; '
                  'nothing to train. Pass a larger --iterations to continue '
                  'it.'.format(opts['out'], done, opts['iterations']))
            return 0
        return train_in(opts, device, comm)
    finally:
        if lock is not None:
            lock.release()


def train_in(opts, device, comm=None):
    """Builds and runs the training once the out dir is checked."""
    try:
        train, test = runs.make_datasets(opts)
        runs.check_batch_size(train, opts['batch_size'])
    except (DatasetError, ValueError) as e:
        raise OptionError(str(e))
    # chainer's initializers draw from numpy's global stream: seeding it here
    # (the run, not the library) makes a run reproducible from --seed.
    numpy.random.seed(opts['seed'])
    try:
        trainer, stop, snapshot = wiring.make_trainer(opts, train, test,
                                                      device, comm)
    except ValueError as e:  # unknown domains, a missing --perceptual-net
        raise OptionError(str(e))
    if opts['resume']:
        try:
            runs.check_generator_kind(opts['resume'], opts)
            snapshots.load_npz(opts['resume'], trainer)
        except snapshots.UnsafeFileError as e:
            raise OptionError('--resume: {}'.format(e))
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
        try:
            code = run(vars(args), comm)
        except OptionError as e:
            parser.error(str(e))
    except BaseException as e:
        if comm is not None and comm.size > 1 and not (
                isinstance(e, SystemExit) and not e.code):
            multinode.abort(comm, e)  # else the others wait forever
        raise
    if code not in (0,) + run_end.STOP_CODES and comm is not None and \
            comm.size > 1:  # a signal stops them all already
        multinode.abort(comm, RuntimeError('exit code {}'.format(code)))
    return code
