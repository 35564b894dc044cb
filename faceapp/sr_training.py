"""One super-resolution training run as ``train_sr.py`` does it, with the
conventions of ``train.py`` (:mod:`faceapp.training`): the out dir's lock
and checks, args.json, snapshots ``snapshot_iter_N``, ``--resume``
(bitwise), the end-of-run rescue and exit codes, and a model file."""
import os

import numpy

import chainer
from chainer import training
from chainer.training import extensions as E

import datasets
from datasets.image_files import DatasetError
from datasets import loading
from datasets import sr_pairs
from extensions import rescue
from extensions import safety
from extensions.sr_samples import SuperResolutionGrid
from faceapp import devices
from faceapp.options import OptionError
from faceapp import reporting
from faceapp import run_files
from faceapp import runs
from faceapp import snapshots
from faceapp import sr_export
from faceapp import sr_options
from faceapp import stargan_wiring
from faceapp import training as train_runs
from faceapp import wiring
from stargan.models import sr
from updaters import SuperResolutionUpdater


def open_faces(spec, side, split, opts):
    """Faces of ``side`` px from a ``--dataset`` value: the synthetic
    faces, an .npz pack, or any folder of face pictures.

    Args:
        spec (str or None): The value; None for synthetic.
        side (int): Side of the faces.
        split (str): ``'train'``, ``'test'`` or ``'all'``.
        opts (dict): ``seed``, ``n_train``, ``n_test``, ``test_fraction``.

    Raises:
        DatasetError: The faces cannot be read; the message says why.
    """
    if spec is None or runs.is_synthetic(spec):
        try:
            return datasets.SyntheticFaceDataset(
                opts['n_train'] if split == 'train' else opts['n_test'],
                side, split, opts['seed'])
        except ValueError as e:
            raise DatasetError('synthetic faces: {}; choose --image-size '
                               'and --scale whose product is in [32, 256]'
                               .format(e))
    if loading.dataset_kind(spec)[0] == 'pack':
        faces = loading.open_dataset(spec, side, split,
                                     test_fraction=opts['test_fraction'],
                                     seed=opts['seed'])
    else:
        faces = sr_pairs.face_folder(spec, side, split,
                                     opts['test_fraction'], opts['seed'])
    # As in train.py: a file that fails mid-run is skipped and counted.
    faces.skip_unreadable = split == 'train'
    return faces


def make_pairs(opts, split):
    """``(low, high)`` pairs of a run's faces (see
    :class:`datasets.sr_pairs.SuperResolutionPairs`)."""
    return sr_pairs.SuperResolutionPairs(open_faces(
        opts['dataset'], opts['image_size'] * opts['scale'], split, opts),
        opts['scale'])


def make_trainer(opts, train, test, device):
    """Wires the network, Adam, updater and extensions into a Trainer.

    Returns:
        tuple: ``(trainer, stop trigger, snapshot extension)``.
    """
    n = opts['iterations']
    net = sr.SuperResolution(opts['scale'], opts['channels'],
                             opts['n_blocks'])
    net.to_device(device)
    opt = chainer.optimizers.Adam(opts['lr'])
    opt.setup(net)
    updater = SuperResolutionUpdater(
        stargan_wiring.make_iterator(train, opts), opt, device)
    stop = safety.GracefulStop((n, 'iteration'))
    trainer = training.Trainer(updater, stop, out=opts['out'])
    trainer.extend(E.LinearShift('alpha', (opts['lr'], 0.),
                                 (opts['decay_start'], n), opt))
    reporting.add_reports(trainer, opts['log_interval'], n,
                          sr_options.PRINT_KEYS, {'loss_sr.png': ['sr/loss']})
    picked = numpy.random.RandomState(opts['seed']).permutation(
        len(test))[:opts['n_samples']]
    low, high = (numpy.stack(a) for a in zip(*[test[int(i)]
                                               for i in picked]))
    trainer.extend(SuperResolutionGrid(net, low, high, device),
                   trigger=reporting.every(opts['sample_interval'], n),
                   call_before_training=True)
    wiring.add_snapshot(trainer, opts)
    trainer.extend(safety.DivergenceGuard(
        prefixes=('sr/',), check_interval=safety.check_interval(
            opts['log_interval'], opts['snapshot_interval'],
            opts['sample_interval']), last=n))
    trainer.extend(rescue.Progress(lambda: runs.count_skipped(train.faces)))
    return trainer, stop, trainer.get_extension('snapshot')


def train_in(parser, opts, device):
    """Builds and runs the training once the out dir is checked; returns
    the exit code."""
    try:
        train, test = make_pairs(opts, 'train'), make_pairs(opts, 'test')
        runs.check_batch_size(train, opts['batch_size'])
    except (DatasetError, ValueError) as e:
        parser.error(str(e))
    numpy.random.seed(opts['seed'])  # chainer's initializers draw from it
    trainer, stop, snapshot = make_trainer(opts, train, test, device)
    if opts['resume']:
        try:
            snapshots.load_npz(opts['resume'], trainer)
        except snapshots.UnsafeFileError as e:
            parser.error('--resume: {}'.format(e))
    datasets.atomic.write_json_atomic(opts, os.path.join(opts['out'],
                                                         'args.json'))
    print('super-resolution x{} | {} -> {} px | {} train / {} test faces | '
          'device {} | out {}'.format(
              opts['scale'], opts['image_size'],
              opts['image_size'] * opts['scale'], len(train), len(test),
              device, opts['out']))
    code = train_runs.run_training(trainer, stop, snapshot, opts, None)
    if code != 1:  # done or stopped: the network is whole
        path = os.path.join(opts['out'], sr_export.EXPORT_NAME)
        sr_export.export_net(path, trainer.updater.get_optimizer(
            'main').target, sr_export.config_from_options(opts))
        print('Model for translate.py --upscale: {}'.format(path))
    return code


def main(argv=None, description=None):
    """``train_sr.py``'s main: parses ``argv``, trains; returns the exit
    code."""
    parser = sr_options.build_parser(description)
    opts = sr_options.resolve(parser.parse_args(argv))
    sr_options.check(parser, opts)
    auto = opts['resume'] == 'auto'  # prepare_out_dir resolves it
    try:
        device = devices.get_device(opts['gpu'])
        lock = train_runs.prepare_out_dir(opts)
    except (ValueError, OptionError) as e:  # no CUDA; an unusable out dir
        parser.error(str(e))
    device.use()
    if device.xp is numpy:
        devices.keep_freed_memory()
    try:
        done = run_files.snapshot_iteration(opts['resume'] or '')
        if auto and done is not None and done >= opts['iterations']:
            print('{} is already complete: it reached iteration {} of {}; '
                  'pass a larger --iterations to continue it.'.format(
                      opts['out'], done, opts['iterations']))
            return 0
        return train_in(parser, opts, device)
    finally:
        lock.release()
