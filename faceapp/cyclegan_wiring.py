"""Trainer wiring for the CycleGAN baseline: options, models, optimizers,
decay, reports, sample grids, snapshots, and a whole run.

``opts`` is the plain dict ``train.py`` writes to args.json, plus the
CycleGAN keys of :data:`DEFAULTS` and ``domains`` (two label names).
"""
import os

import numpy

import chainer
from chainer import training
from chainer.training import extensions as E

from datasets.unaligned import UnalignedDataset
from extensions.cyclegan_samples import CycleGANSampleGrid
from extensions.cyclegan_samples import pick_domain_samples
from extensions import multinode
from faceapp import devices
from faceapp import reporting
from faceapp import run_files
from faceapp import runs
from faceapp import snapshots
from faceapp import stargan_wiring
from faceapp import train_options
from stargan.losses import cyclegan as cyclegan_losses
from stargan.models import classifier as clf_lib
from stargan.models import cyclegan
from stargan import presets
from updaters.cyclegan import CycleGANUpdater

#: CycleGAN options and their defaults (Zhu et al. 2017 where it says).
DEFAULTS = dict(
    gan_loss='lsgan', label_noise=0., embedding_dis=False, kernel_size=3,
    perceptual_net=None, lambda_perceptual=1., lambda_emb=1., pool_size=50,
    lambda_cycle=10., lambda_identity=0.5, lambda_gp=10., g_lr=2e-4,
    d_lr=2e-4, beta1=0.5, beta2=0.999)

#: Options of a run that only :func:`train_cyclegan` needs a value for.
RUN_DEFAULTS = dict(
    model='cyclegan', dataset=None, attrs=None, skip_bad=False,
    attributes=['expression'], n_train=2000, n_test=200, test_fraction=0.1,
    preset=None, image_size=None, batch_size=None, iterations=None,
    decay_start=None, gpu=-1, seed=0, out='result', log_interval=10,
    sample_interval=None, snapshot_interval=None, n_samples=8, resume=None,
    keep_snapshots=3)

#: Model keys taken from :data:`stargan.presets.CYCLEGAN_PRESETS`.
MODEL_KEYS = ('g_conv_dim', 'g_res', 'd_conv_dim', 'd_layers')

#: Columns printed to the terminal.
PRINT_KEYS = ['iteration', 'elapsed_time', 'gen_ab/loss_adv',
              'gen_ba/loss_adv', 'gen_ab/loss_cycle', 'gen_ba/loss_cycle',
              'dis_a/loss', 'dis_b/loss']
#: ``file name -> keys`` of the loss curves (plus EMB_PLOTS with the
#: embedding critic).
PLOTS = {
    'loss_adv.png': ['gen_ab/loss_adv', 'gen_ba/loss_adv', 'dis_a/loss',
                     'dis_b/loss'],
    'loss_cycle_idt.png': ['gen_ab/loss_cycle', 'gen_ba/loss_cycle',
                           'gen_ab/loss_idt', 'gen_ba/loss_idt'],
}
EMB_PLOTS = {'loss_emb.png': ['gen_ab/loss_emb', 'gen_ba/loss_emb',
                              'dis_emb/loss']}


def resolve_options(opts):
    """Fills CycleGAN defaults and preset values into a copy of ``opts``.

    Keys missing or None take :data:`RUN_DEFAULTS`, :data:`DEFAULTS` or
    the preset's value (``small`` on CPU, ``paper`` with a GPU); model
    sizes always come from the preset.

    Args:
        opts (dict): Options, at least ``domains``.

    Returns:
        dict: The resolved options.

    Raises:
        ValueError: Bad domains, preset, loss kind, noise or kernel size.
    """
    out = dict(RUN_DEFAULTS, **DEFAULTS)
    out.update({k: v for k, v in opts.items() if v is not None})
    if len(out.get('domains') or ()) != 2:
        raise ValueError('CycleGAN needs exactly two domains (--domains A '
                         'B), got {!r}'
                         .format(out.get('domains')))
    name = out['preset'] or ('paper' if out['gpu'] >= 0 else 'small')
    if name not in presets.CYCLEGAN_PRESETS:
        raise ValueError('unknown CycleGAN preset {!r}; choose one of {}'
                         .format(name, ', '.join(presets.CYCLEGAN_PRESETS)))
    preset = presets.CYCLEGAN_PRESETS[name]
    out['preset'] = name
    for key in ('image_size', 'batch_size', 'iterations'):
        out[key] = out[key] or preset[key]
    out.update({k: preset[k] for k in MODEL_KEYS})
    n = out['iterations']
    out['decay_start'] = n // 2 if out['decay_start'] is None \
        else out['decay_start']
    out['sample_interval'] = out['sample_interval'] or max(1, n // 10)
    out['snapshot_interval'] = out['snapshot_interval'] or max(1, n // 4)
    check_options(out)
    return out


def check_options(opts):
    """Raises ValueError for CycleGAN options that cannot work together."""
    cyclegan_losses.check_gan_loss(opts['gan_loss'])
    cyclegan.check_kernel_size(opts['kernel_size'])
    if not 0 <= opts['label_noise'] < 1:
        raise ValueError('label noise must be in [0, 1), got {}'.format(
            opts['label_noise']))
    if opts['label_noise'] and opts['gan_loss'] == 'wgan-gp':
        raise ValueError('label noise needs targets to soften; WGAN-GP has '
                         'none (use --gan-loss lsgan or vanilla)')
    if opts['image_size'] % 4 or cyclegan.patch_output_size(
            opts['image_size'], opts['d_layers']) < 1:
        raise ValueError('--image-size {} must be a multiple of 4 and large '
                         'enough for preset {}'.format(opts['image_size'],
                                                       opts['preset']))


def make_models(opts):
    """Builds the networks of a run.

    Returns:
        dict: ``gen_ab``, ``gen_ba``, ``dis_a``, ``dis_b`` and, with
        ``embedding_dis``, ``dis_emb``.
    """
    k = opts['kernel_size']
    models = {name: cyclegan.ResnetGenerator(opts['g_conv_dim'],
                                             opts['g_res'], k)
              for name in ('gen_ab', 'gen_ba')}
    models.update({name: cyclegan.PatchDiscriminator(
        opts['d_conv_dim'], opts['d_layers'], k, opts['image_size'])
        for name in ('dis_a', 'dis_b')})
    if opts['embedding_dis']:
        models['dis_emb'] = cyclegan.EmbeddingDiscriminator(
            models['gen_ab'].embedding_channels, opts['d_conv_dim'])
    return models


def load_feature_network(path, device='@numpy'):
    """Loads the perceptual loss's feature network; nothing is downloaded.

    Two npz layouts are read: a
    :class:`stargan.models.classifier.DomainClassifier` (e.g. a judge from
    the evaluation cache) and chainer's
    ``L.VGG16Layers`` (e.g. converted once with ``L.VGG16Layers.
    convert_caffemodel_to_npz``).

    Args:
        path (str): The npz file.
        device: ``chainer.get_device`` specifier.

    Returns:
        callable: float32 images ``(N, 3, S, S)`` in [-1, 1] -> list of
        feature-map Variables (differentiable).

    Raises:
        ~faceapp.snapshots.UnsafeFileError: Missing, unsafe, or of an
            unknown layout.
    """
    if not os.path.isfile(path):
        raise snapshots.UnsafeFileError(
            'perceptual feature network {} does not exist; give a chainer '
            'npz of a DomainClassifier or of L.VGG16Layers, or leave the '
            'perceptual loss off (nothing is downloaded)'.format(path))
    shapes = {k: a.shape for k, a in snapshots.read_arrays(path).items()}
    if 'conv1_1/W' in shapes:
        net = chainer.links.VGG16Layers(pretrained_model=None)
        fn = cyclegan_losses.vgg_feature_maps
    elif 'c0/W' in shapes and 'fc/W' in shapes:
        n_stages = sum(1 for key in shapes if key.startswith('stages/')
                       and key.endswith('/W'))
        net = clf_lib.DomainClassifier(shapes['fc/W'][0],
                                       shapes['c0/W'][0], n_stages)
        fn = cyclegan_losses.classifier_feature_maps
    else:
        raise snapshots.UnsafeFileError(
            '{} is neither a DomainClassifier nor a VGG16Layers npz'.format(
                path))
    snapshots.load_npz(path, net)
    net.to_device(device)
    return lambda x: fn(net, x)


def make_unaligned(dataset, opts):
    """The run's :class:`~datasets.unaligned.UnalignedDataset`."""
    return UnalignedDataset(dataset, opts['domains'][0], opts['domains'][1],
                            opts['seed'])


def make_cyclegan_trainer(opts, train, test, device, stop_trigger=None,
                          comm=None):
    """Wires models, optimizers, updater and extensions into a Trainer.

    Args:
        opts (dict): Resolved options (:func:`resolve_options`).
        train: Labelled training dataset (paired up by domain here).
        test: Labelled test dataset (sample grid inputs).
        device (chainer.backend.Device): Where models and batches live.
        stop_trigger: Overrides ``(opts['iterations'], 'iteration')``.
        comm: A ChainerMN communicator for data-parallel training (see
            :mod:`extensions.multinode`); only process 0 gets writers.

    Returns:
        ~chainer.training.Trainer: Its snapshot extension is named
        ``'snapshot'`` (process 0).
    """
    models = make_models(opts)
    for model in models.values():
        model.to_device(device)
    opt = {name: stargan_wiring.make_adam(
        m, opts['d_lr'] if name.startswith('dis') else opts['g_lr'], opts,
        comm) for name, m in models.items()}
    features = None
    if opts['perceptual_net']:
        features = load_feature_network(opts['perceptual_net'], device)
    iterator = stargan_wiring.make_iterator(make_unaligned(train, opts),
                                            opts, comm)
    updater = _make_updater(iterator, models, opt, features, opts, device,
                            comm)
    n = opts['iterations']
    trainer = training.Trainer(updater, stop_trigger or (n, 'iteration'),
                               out=opts['out'])
    for name, o in opt.items():
        lr = opts['d_lr'] if name.startswith('dis') else opts['g_lr']
        trainer.extend(E.LinearShift('alpha', (lr, 0.),
                                     (opts['decay_start'], n), o),
                       name='lr_' + name)
    if multinode.is_writer(comm):
        _add_writers(trainer, opts, train, test, models, device)
    return trainer


def _add_writers(trainer, opts, train, test, models, device):
    """Logs, plots, progress, sample grids and snapshots (process 0)."""
    n = opts['iterations']
    plots = dict(PLOTS, **(EMB_PLOTS if 'dis_emb' in models else {}))
    reporting.add_reports(trainer, opts['log_interval'], n, PRINT_KEYS,
                          plots)
    x_a, x_b = pick_domain_samples(test, opts['domains'], opts['n_samples'],
                                   opts['seed'], fallback=train)
    trainer.extend(CycleGANSampleGrid(models['gen_ab'], models['gen_ba'],
                                      x_a, x_b, device),
                   trigger=reporting.every(opts['sample_interval'], n),
                   call_before_training=True)
    trainer.extend(E.snapshot(filename='snapshot_iter_{.updater.iteration}',
                              n_retains=opts.get('keep_snapshots', 3)),
                   trigger=reporting.every(opts['snapshot_interval'], n),
                   name='snapshot')


def _make_updater(iterator, models, opt, features, opts, device, comm):
    return CycleGANUpdater(
        iterator, models['gen_ab'], models['gen_ba'], models['dis_a'],
        models['dis_b'], opt['gen_ab'], opt['gen_ba'], opt['dis_a'],
        opt['dis_b'], dis_emb=models.get('dis_emb'),
        dis_emb_opt=opt.get('dis_emb'), gan_loss=opts['gan_loss'],
        label_noise=opts['label_noise'], lambda_cycle=opts['lambda_cycle'],
        lambda_identity=opts['lambda_identity'],
        lambda_gp=opts['lambda_gp'], lambda_emb=opts['lambda_emb'],
        lambda_perceptual=opts['lambda_perceptual'], features=features,
        pool_size=opts['pool_size'], flip=runs.uses_photos(opts),
        device=device, seed=opts['seed'], shard=multinode.shard_of(comm),
        gather=multinode.gather_rows(comm))


def train_cyclegan(opts):
    """A whole CycleGAN run, as ``train.py --model cyclegan`` would do it:
    resolve, build, resume, write args.json, train.

    Args:
        opts (dict): Options (see :func:`resolve_options`).

    Returns:
        dict: The resolved options.
    """
    opts = resolve_options(opts)
    device = devices.get_device(opts['gpu'])  # a clear no-CUDA message
    device.use()
    train, test = runs.make_datasets(opts)
    # chainer's initializers draw from numpy's global stream; seeding it in
    # the run (not in the networks) makes a run reproducible from its seed.
    numpy.random.seed(opts['seed'])
    trainer = make_cyclegan_trainer(opts, train, test, device)
    if opts['resume']:
        snapshots.load_npz(opts['resume'], trainer)
    run_files.write_options(opts, opts['out'])
    print('CycleGAN | preset {} | {} px | {} <-> {} | {} | device {} | out '
          '{}'.format(opts['preset'], opts['image_size'], *opts['domains'],
                      opts['gan_loss'], device, opts['out']), flush=True)
    with train_options.deterministic(opts):
        trainer.run()
    return opts


def load_generators(path, opts):
    """Both generators of a run, with the weights of a trainer snapshot.

    Args:
        path (str): A ``snapshot_iter_*`` file of the run.
        opts (dict): The run's resolved options (its args.json).

    Returns:
        tuple: ``(gen_ab, gen_ba)``.

    Raises:
        ~faceapp.snapshots.UnsafeFileError: The file cannot be loaded.
    """
    models = make_models(dict(opts, embedding_dis=False))
    for name in ('gen_ab', 'gen_ba'):
        snapshots.load_npz(path, models[name],
                           prefix=run_files.GEN_PREFIXES[name])
    return models['gen_ab'], models['gen_ba']
