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

from datasets import joint
from extensions import evaluation
from extensions import joint_eval
from extensions import reporting
from extensions import runs
from extensions.samples import SampleGrid
from updaters import StarGANUpdater

#: ``--model`` name -> ``fn(opts, n_labels) -> (generator, discriminator)``.
MODELS = {'stargan': runs.make_stargan}


def make_adam(model, lr, opts):
    """Adam with the run's betas, set up on ``model``."""
    opt = chainer.optimizers.Adam(lr, opts['beta1'], opts['beta2'])
    opt.setup(model)
    return opt


def make_stargan_trainer(opts, train, test, device, stop_trigger=None):
    """Wires models, optimizers, updater and extensions into a Trainer.

    Args:
        opts (dict): Resolved options of ``train.py``.
        train: Labelled training dataset (a JointDataset for several).
        test: Labelled test dataset (sample grids and evaluation).
        device (chainer.backend.Device): Where models and batches live.
        stop_trigger: Overrides ``(opts['iterations'], 'iteration')``.

    Returns:
        ~chainer.training.Trainer: Its snapshot extension is named
        ``'snapshot'``.
    """
    gen, dis = MODELS[opts['model']](opts, len(train.label_names))
    gen_opt = make_adam(gen, opts['g_lr'], opts)
    dis_opt = make_adam(dis, opts['d_lr'], opts)
    updater = StarGANUpdater(
        runs.make_iterator(train, opts), gen, dis, gen_opt, dis_opt,
        runs.group_sizes(train), n_critic=opts['n_critic'],
        lambda_cls=opts['lambda_cls'], lambda_rec=opts['lambda_rec'],
        lambda_gp=opts['lambda_gp'], device=device, seed=opts['seed'],
        flip=runs.uses_photos(opts))
    n = opts['iterations']
    trainer = training.Trainer(updater, stop_trigger or (n, 'iteration'),
                               out=opts['out'])
    for opt, lr in ((gen_opt, opts['g_lr']), (dis_opt, opts['d_lr'])):
        trainer.extend(E.LinearShift('alpha', (lr, 0.),
                                     (opts['decay_start'], n), opt))
    is_joint = isinstance(train, joint.JointDataset)
    reporting.add_reports(trainer, opts['log_interval'], n,
                          print_keys(test) if is_joint
                          else reporting.PRINT_KEYS)
    add_sample_grid(trainer, opts, train, test, gen, device)
    trainer.extend(E.snapshot(filename='snapshot_iter_{.updater.iteration}',
                              n_retains=opts['keep_snapshots']),
                   trigger=reporting.every(opts['snapshot_interval'], n),
                   name='snapshot')
    if opts['eval_interval']:
        (add_joint_evaluation if is_joint else add_evaluation)(
            trainer, opts, train, test, gen, device)
    return trainer


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


def add_evaluation(trainer, opts, train, test, gen, device):
    """Reports eval/* metrics (judged by a domain classifier) and plots
    them."""
    n = opts['iterations']
    x, c = evaluation.dataset_arrays(test, opts['n_eval'])
    judge = evaluation.judge_for(train, test, opts['n_eval'],
                                 opts['cache_dir'],
                                 opts['classifier_iterations'], opts['seed'],
                                 device)
    trainer.extend(evaluation.Evaluate(gen, judge, x, c,
                                       runs.group_sizes(train),
                                       train.label_names, device),
                   trigger=reporting.every(opts['eval_interval'], n))
    reporting.add_plots(trainer, reporting.EVAL_PLOTS, opts['log_interval'],
                        n)


def add_joint_evaluation(trainer, opts, train, test, gen, device):
    """Per dataset: eval/<dataset>/* on its own images and cross_accuracy
    on the others', each judged by the dataset's own classifier."""
    n = opts['iterations']
    judges = joint_eval.judges_for(train, test, opts['n_eval'],
                                   opts['cache_dir'],
                                   opts['classifier_iterations'],
                                   opts['seed'], device)
    trainer.extend(joint_eval.JointEvaluate(gen, test, judges,
                                            opts['n_eval'], device),
                   trigger=reporting.every(opts['eval_interval'], n))
    plots = {'eval_target_accuracy.png':
             joint_eval.scalar_keys(test.layout)}
    reporting.add_plots(trainer, plots, opts['log_interval'], n)
