"""The Trainer of a run, one way for both models.

Each model's wiring (:func:`faceapp.stargan_wiring.build`,
:func:`faceapp.cyclegan_wiring.build`) gives its parts as a dict:

* ``updater``: the model's updater, with its optimizers;
* ``schedules``: ``(extension name or None, optimizer, learning rate)`` of
  each linear learning-rate decay;
* ``evaluation``: None, or ``fn(trainer)`` that adds the eval/* extension;
* ``print_keys`` and ``plots`` (``file name -> keys``) of the reports;
* ``grid``: ``fn()`` -> the sample-grid extension (process 0 only);
* ``eval_plots``: plots of the eval/* metrics (may be empty).

:func:`make_trainer` adds them in one order for both. Extension names are
keys of the snapshot: a resumed run finds its state only under the same
names, so this order and these names do not change.
"""
from chainer import training
from chainer.training import extensions as E

from extensions import multinode
from extensions import rescue
from extensions import safety
from faceapp import cyclegan_wiring
from faceapp import reporting
from faceapp import run_files
from faceapp import runs
from faceapp import stargan_wiring

#: ``--model`` -> ``fn(opts, train, test, device, comm) -> parts``.
BUILDERS = {'stargan': stargan_wiring.build,
            'cyclegan': cyclegan_wiring.build}


def make_trainer(opts, train, test, device, comm=None):
    """Wires models, optimizers, updater and extensions into a Trainer.

    Args:
        opts (dict): Resolved options (:func:`faceapp.options.resolve`).
        train: Labelled training dataset.
        test: Labelled test dataset (sample grids and evaluation).
        device (chainer.backend.Device): Where models and batches live.
        comm: A ChainerMN communicator for data-parallel training (see
            :mod:`extensions.multinode`); only process 0 gets writers.

    Returns:
        tuple: ``(trainer, stop trigger, snapshot extension or None)``;
        the snapshot extension is named ``'snapshot'`` (process 0).
    """
    n = opts['iterations']
    stop = safety.GracefulStop(
        (n, 'iteration'),
        agree=None if comm is None else multinode.agree_to_stop(comm))
    parts = BUILDERS[opts['model']](opts, train, test, device, comm)
    trainer = training.Trainer(parts['updater'], stop, out=opts['out'])
    for name, opt, lr in parts['schedules']:
        trainer.extend(E.LinearShift('alpha', (lr, 0.),
                                     (opts['decay_start'], n), opt),
                       name=name)
    if parts['evaluation'] is not None:
        parts['evaluation'](trainer)
    writer = multinode.is_writer(comm)
    if writer:
        add_writers(trainer, opts, parts)
    trainer.extend(safety.DivergenceGuard(
        check_interval=safety.check_interval(
            opts['log_interval'], opts['snapshot_interval'],
            opts.get('sample_interval'), opts.get('eval_interval')),
        last=n))
    trainer.extend(rescue.Progress(lambda: runs.count_skipped(train)))
    return trainer, stop, trainer.get_extension('snapshot') if writer \
        else None


def add_snapshot(trainer, opts):
    """The trainer snapshot every ``snapshot_interval`` (and at the end),
    keeping the last ``keep_snapshots``; named ``snapshot``, the name the
    end-of-run rescue and ``--resume`` find it by."""
    trainer.extend(E.snapshot(filename=run_files.SNAPSHOT_TEMPLATE,
                              n_retains=opts['keep_snapshots']),
                   trigger=reporting.every(opts['snapshot_interval'],
                                           opts['iterations']),
                   name='snapshot')


def add_writers(trainer, opts, parts):
    """Logs, plots, progress, sample grids and snapshots (process 0)."""
    n = opts['iterations']
    reporting.add_reports(trainer, opts['log_interval'], n,
                          parts['print_keys'], parts['plots'])
    trainer.extend(parts['grid'](),
                   trigger=reporting.every(opts['sample_interval'], n),
                   call_before_training=True)
    add_snapshot(trainer, opts)
    if parts['eval_plots']:
        reporting.add_plots(trainer, parts['eval_plots'],
                            opts['log_interval'], n)
