"""StarGAN's parts of a Trainer (see :mod:`faceapp.wiring`): models,
optimizers, updater and extensions from the resolved options of
``train.py``.

Works for one dataset and for several at once (the paper's mask vector,
``train`` a :class:`datasets.joint.JointDataset`): then sample grids give
inputs of every dataset every domain of every dataset, and evaluation judges
each dataset's labels with its own classifier.
"""
import os

import numpy

import chainer

from datasets.folder import DatasetError
from datasets.iterators import prefetch
from datasets.iterators import shard
from datasets import joint
from extensions import evaluation
from extensions import joint_eval
from extensions import multinode
from extensions.samples import SampleGrid
from faceapp import judging
from faceapp import quality_options
from faceapp import reporting
from faceapp import run_files
from faceapp import runs
from faceapp import snapshots
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
        # CycleGAN runs have no n_critic (None): one step per batch.
        it = shard.make_shard_iterator(train, opts['batch_size'],
                                       opts['seed'], comm.rank, comm.size,
                                       opts.get('n_critic') or 1)
    depth = opts.get('prefetch', 0)
    return prefetch.PrefetchIterator(it, depth) if depth else it


def build(opts, train, test, device, comm=None):
    """StarGAN's parts of a Trainer (see :mod:`faceapp.wiring`): models,
    optimizers, updater, and the evaluation, reports and sample grid.

    Args:
        opts (dict): Resolved options of ``train.py``; ``--dis-head auto``
            and an unset ``--lambda-cls`` are filled in place, from the
            labels of ``train`` (see
            :func:`faceapp.quality_options.resolve_dis_head`).
        train: Labelled training dataset (a JointDataset for several).
        test: Labelled test dataset (sample grids and evaluation).
        device (chainer.backend.Device): Where models and batches live.
        comm: A ChainerMN communicator for data-parallel training (see
            :mod:`extensions.multinode`).

    Returns:
        dict: The parts :func:`faceapp.wiring.make_trainer` adds.
    """
    # Fills --dis-head auto and --lambda-cls in opts, before args.json.
    if opts.get('lambda_cls') is None:
        opts['lambda_cls'] = resumed_lambda_cls(opts)
    quality_options.resolve_dis_head(opts, runs.group_sizes(train),
                                     resumed_dis_head(opts))
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
        lambda_mask_tv=opts.get('lambda_mask_tv', attention.LAMBDA_MASK_TV),
        # Runs written before the choice trained the paper's WGAN-GP.
        adversarial=opts.get('adversarial', 'wgan-gp'),
        lambda_r1=opts.get('lambda_r1', 1.))
    shown = updater.inference_generator()  # the average, when kept
    is_joint = isinstance(train, joint.JointDataset)
    evaluating = bool(opts['eval_interval'])
    eval_plots = reporting.EVAL_PLOTS if not is_joint else {
        'eval_target_accuracy.png': joint_eval.scalar_keys(test.layout)}
    return dict(
        updater=updater,
        schedules=[(None, gen_opt, opts['g_lr']),
                   (None, dis_opt, opts['d_lr'])],
        evaluation=(lambda trainer: add_evaluation(
            trainer, opts, train, test, shown, device, comm,
            # A minibatch-std D scores each image by its batch: evaluated
            # in other batches it is not the D that trains, so not scored.
            dis=None if opts.get('dis_minibatch_std') else
            updater.discriminator))
        if evaluating else None,
        print_keys=print_keys(test) if is_joint else reporting.PRINT_KEYS,
        plots=reporting.PLOTS,
        grid=lambda: sample_grid(opts, train, test, shown, device),
        eval_plots=eval_plots if evaluating else {})


def resumed_dis_head(opts):
    """The real/fake head of the snapshot that a run with ``--dis-head
    auto`` resumes (None for a new run or an explicit head)."""
    if not opts.get('resume') or opts.get('dis_head') != 'auto':
        return None
    try:
        return runs.saved_dis_head(opts['resume'])
    except snapshots.UnsafeFileError as e:
        raise ValueError('--resume: {}'.format(e))


def resumed_lambda_cls(opts):
    """The ``--lambda-cls`` of the run a resumed run continues, read from
    the args.json beside its snapshot, so that a run trained before the
    weight followed the head goes on with its own (None for a new run or
    without that file)."""
    if not opts.get('resume'):
        return None
    run_dir = os.path.dirname(os.path.abspath(opts['resume']))
    try:
        return run_files.read_options(run_dir).get('lambda_cls')
    except DatasetError:
        return None


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


def sample_grid(opts, train, test, gen, device):
    """The sample-grid extension: fixed test faces, every target domain."""
    x, c = sample_inputs(test, opts['n_samples'], opts['seed'])
    columns = train.layout.edit_targets \
        if isinstance(train, joint.JointDataset) else None
    return SampleGrid(gen, x, c, train.label_names, runs.group_sizes(train),
                      device, edit_targets=columns)


def add_evaluation(trainer, opts, train, test, gen, device, comm=None,
                   dis=None):
    """Reports eval/* metrics judged by domain classifiers: one for the
    dataset, or per dataset of a joint run (its own images and
    cross_accuracy on the others'). With a communicator every process
    evaluates its share of the test images. With ``dis`` (one dataset
    only) D's classifier is scored too: on the test images, as many
    training images and the translations."""
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
        seen = None if dis is None else tuple(
            a[rank::size] for a in evaluation.dataset_arrays(train, n_eval))
        ext = evaluation.Evaluate(gen, get, x[rank::size], c[rank::size],
                                  runs.group_sizes(train), train.label_names,
                                  device, discriminator=dis,
                                  train_images=seen)
    if comm is not None:
        ext = multinode.MultiNodeEvaluate(ext, comm,
                                          len(range(rank, n_eval, size)))
    trainer.extend(ext, trigger=reporting.every(opts['eval_interval'],
                                                opts['iterations']))
