"""StarGAN's Trainer: models, optimizers, updater and extensions from the
resolved options of ``train.py``.

Works for one dataset and for several at once (the paper's mask vector,
``train`` a :class:`datasets.joint.JointDataset`): then sample grids give
inputs of every dataset every domain of every dataset, and evaluation judges
each dataset's labels with its own classifier.
"""
import numpy

import chainer
from chainer import training
from chainer.training import extensions as E

from datasets.iterators import prefetch
from datasets.iterators import shard
from datasets import joint
from extensions import evaluation
from extensions import joint_eval
from extensions import multinode
from extensions.samples import SampleGrid
from faceapp import judging
from faceapp import reporting
from faceapp import runs
from stargan import attention
from updaters import StarGANUpdater

#: ``--model`` name -> ``fn(opts, n_labels) -> (generator, discriminator)``.
MODELS = {'stargan': runs.make_stargan}


def make_adam(model, lr, opts, comm=None):
    """Adam with the run's betas, set up on ``model``; with a communicator
    it averages gradients over the processes."""
    opt = chainer.optimizers.Adam(lr, opts['beta1'], opts['beta2'])
    opt.setup(model)
    return opt if comm is None else multinode.multi_node_adam(opt, comm)


def make_iterator(train, opts, comm=None):
    """The training iterator: each process's share of the global batches
    with a communicator (see :mod:`datasets.iterators.shard`), read ahead in a
    background thread when ``opts['prefetch']`` is positive."""
    if comm is None:
        it = runs.make_iterator(train, opts)
    else:
        it = shard.make_shard_iterator(train, opts['batch_size'],
                                       opts['seed'], comm.rank, comm.size,
                                       opts.get('n_critic', 1))
    depth = opts.get('prefetch', 0)
    return prefetch.PrefetchIterator(it, depth) if depth else it


def make_stargan_trainer(opts, train, test, device, stop_trigger=None,
                         comm=None):
    """Wires models, optimizers, updater and extensions into a Trainer.

    Args:
        opts (dict): Resolved options of ``train.py``.
        train: Labelled training dataset (a JointDataset for several).
        test: Labelled test dataset (sample grids and evaluation).
        device (chainer.backend.Device): Where models and batches live.
        stop_trigger: Overrides ``(opts['iterations'], 'iteration')``.
        comm: A ChainerMN communicator for data-parallel training (see
            :mod:`extensions.multinode`); only process 0 gets writers.

    Returns:
        ~chainer.training.Trainer: Its snapshot extension is named
        ``'snapshot'`` (process 0).
    """
    gen, dis = MODELS[opts['model']](opts, len(train.label_names))
    gen.to_device(device)
    dis.to_device(device)
    gen_opt = make_adam(gen, opts['g_lr'], opts, comm)
    dis_opt = make_adam(dis, opts['d_lr'], opts, comm)
    updater = StarGANUpdater(
        make_iterator(train, opts, comm), gen, dis, gen_opt, dis_opt,
        runs.group_sizes(train), n_critic=opts['n_critic'],
        lambda_cls=opts['lambda_cls'], lambda_rec=opts['lambda_rec'],
        lambda_gp=opts['lambda_gp'], device=device, seed=opts['seed'],
        flip=runs.uses_photos(opts), shard=multinode.shard_of(comm),
        ema_beta=opts.get('ema_beta', 0.),
        augment=opts.get('augment', 'none'),
        # Runs written before the attention generator have no mask weights
        # (and a plain generator, which ignores them).
        lambda_mask=opts.get('lambda_mask', attention.LAMBDA_MASK),
        lambda_mask_tv=opts.get('lambda_mask_tv', attention.LAMBDA_MASK_TV))
    n = opts['iterations']
    trainer = training.Trainer(updater, stop_trigger or (n, 'iteration'),
                               out=opts['out'])
    for opt, lr in ((gen_opt, opts['g_lr']), (dis_opt, opts['d_lr'])):
        trainer.extend(E.LinearShift('alpha', (lr, 0.),
                                     (opts['decay_start'], n), opt))
    shown = updater.inference_generator()  # the average, when kept
    if opts['eval_interval']:
        add_evaluation(trainer, opts, train, test, shown, device, comm)
    if multinode.is_writer(comm):
        add_writers(trainer, opts, train, test, shown, device)
    return trainer


def add_writers(trainer, opts, train, test, gen, device):
    """Logs, plots, progress, sample grids and snapshots (process 0)."""
    n = opts['iterations']
    is_joint = isinstance(train, joint.JointDataset)
    reporting.add_reports(trainer, opts['log_interval'], n,
                          print_keys(test) if is_joint
                          else reporting.PRINT_KEYS)
    add_sample_grid(trainer, opts, train, test, gen, device)
    trainer.extend(E.snapshot(filename='snapshot_iter_{.updater.iteration}',
                              n_retains=opts['keep_snapshots']),
                   trigger=reporting.every(opts['snapshot_interval'], n),
                   name='snapshot')
    plots = reporting.EVAL_PLOTS if not is_joint else {
        'eval_target_accuracy.png': joint_eval.scalar_keys(test.layout)}
    if opts['eval_interval']:
        reporting.add_plots(trainer, plots, opts['log_interval'], n)


def print_keys(test):
    """PrintReport columns of a joint run: each dataset's target accuracy."""
    keys = [k for k in reporting.PRINT_KEYS if k != 'eval/target_accuracy']
    return keys + joint_eval.scalar_keys(test.layout, ('target_accuracy',))


def sample_inputs(test, n, seed):
    """Fixed grid rows: ``n`` test faces spread over domains (and over the
    datasets of a joint run, which get equal shares).

    Returns:
        tuple: float32 images ``(n, 3, S, S)`` and labels ``(n, L)``.
    """
    if not isinstance(test, joint.JointDataset):
        return reporting.pick_samples(test, n, seed)
    parts = test.datasets
    xs, cs = [], []
    for k, part in enumerate(parts):
        share = n // len(parts) + (k < n % len(parts))
        if share:
            x, c = reporting.pick_samples(part, share, seed)
            xs.append(x)
            cs.append(test.layout.embed(k, c))
    return numpy.concatenate(xs), numpy.concatenate(cs)


def add_sample_grid(trainer, opts, train, test, gen, device):
    """Sample grids every ``sample_interval`` and before training."""
    x, c = sample_inputs(test, opts['n_samples'], opts['seed'])
    columns = train.layout.edit_targets \
        if isinstance(train, joint.JointDataset) else None
    trainer.extend(SampleGrid(gen, x, c, train.label_names,
                              runs.group_sizes(train), device,
                              edit_targets=columns),
                   trigger=reporting.every(opts['sample_interval'],
                                           opts['iterations']),
                   call_before_training=True)


def add_evaluation(trainer, opts, train, test, gen, device, comm=None):
    """Reports eval/* metrics judged by domain classifiers: one for the
    dataset, or per dataset of a joint run (its own images and
    cross_accuracy on the others'). With a communicator every process
    evaluates its share of the test images."""
    rank, size = multinode.shard_of(comm)
    n_eval = opts['n_eval']
    stop = trainer.stop_trigger
    # A stop request (GracefulStop.received) ends the judge's training; not
    # with several processes, whose judge process 0 trains for all of them.
    should_stop = None if comm is not None else (
        lambda: getattr(stop, 'received', None) is not None)
    get = (judging.judges_for if isinstance(train, joint.JointDataset)
           else judging.judge_for)(
        train, test, n_eval, opts['cache_dir'],
        opts['classifier_iterations'], opts['seed'], device, should_stop)
    if isinstance(train, joint.JointDataset):
        ext = joint_eval.JointEvaluate(gen, test, get, n_eval, device,
                                       shard=(rank, size))
    else:
        x, c = evaluation.dataset_arrays(test, n_eval)
        ext = evaluation.Evaluate(gen, get, x[rank::size], c[rank::size],
                                  runs.group_sizes(train), train.label_names,
                                  device)
    if comm is not None:
        ext = multinode.MultiNodeEvaluate(ext, comm,
                                          len(range(rank, n_eval, size)))
    trainer.extend(ext, trigger=reporting.every(opts['eval_interval'],
                                                opts['iterations']))
