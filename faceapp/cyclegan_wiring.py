"""The CycleGAN baseline's parts of a Trainer (see :mod:`faceapp.wiring`):
models, optimizers, updater, reports and sample grids; and its generators
loaded from a run.

``opts`` is the plain dict ``train.py`` writes to args.json (resolved by
:func:`faceapp.options.resolve`), with ``domains`` (two label names).
"""
import os

import chainer

from datasets.unaligned import UnalignedDataset
from extensions.cyclegan_samples import CycleGANSampleGrid
from extensions.cyclegan_samples import pick_domain_samples
from extensions import multinode
from faceapp import run_files
from faceapp import runs
from faceapp import snapshots
from faceapp import stargan_wiring
from stargan.losses import cyclegan as cyclegan_losses
from stargan.models import classifier as clf_lib
from stargan.models import cyclegan
from updaters.cyclegan import CycleGANUpdater

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


def build(opts, train, test, device, comm=None):
    """CycleGAN's parts of a Trainer (see :mod:`faceapp.wiring`): models,
    optimizers, updater, and the reports and sample grid.

    Args:
        opts (dict): Resolved options (:func:`faceapp.options.resolve`).
        train: Labelled training dataset (paired up by domain here).
        test: Labelled test dataset (sample grid inputs).
        device (chainer.backend.Device): Where models and batches live.
        comm: A ChainerMN communicator for data-parallel training (see
            :mod:`extensions.multinode`).

    Returns:
        dict: The parts :func:`faceapp.wiring.make_trainer` adds.
    """
    models = make_models(opts)
    for model in models.values():
        model.to_device(device)
    lrs = {name: opts['d_lr'] if name.startswith('dis') else opts['g_lr']
           for name in models}
    opt = {name: stargan_wiring.make_adam(m, lrs[name], opts, comm)
           for name, m in models.items()}
    features = None
    if opts['perceptual_net']:
        features = load_feature_network(opts['perceptual_net'], device)
    iterator = stargan_wiring.make_iterator(make_unaligned(train, opts),
                                            opts, comm)
    updater = _make_updater(iterator, models, opt, features, opts, device,
                            comm)
    return dict(
        updater=updater,
        schedules=[('lr_' + name, o, lrs[name]) for name, o in opt.items()],
        evaluation=None, print_keys=PRINT_KEYS,
        plots=dict(PLOTS, **(EMB_PLOTS if 'dis_emb' in models else {})),
        grid=lambda: _sample_grid(opts, train, test, models, device),
        eval_plots={})


def _sample_grid(opts, train, test, models, device):
    x_a, x_b = pick_domain_samples(test, opts['domains'], opts['n_samples'],
                                   opts['seed'], fallback=train)
    return CycleGANSampleGrid(models['gen_ab'], models['gen_ba'], x_a, x_b,
                              device)


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
