"""One resolver of a training run's options, for both models (``train.py``
and the runs ``compare.py`` trains): the preset, its defaults, the decay
start and the default intervals, and the checks of values that cannot
train.

Options are a plain dict keyed like ``train.py``'s flags (``vars(args)``);
missing keys take ``train.py``'s defaults. The resolved dict is what the run
records in args.json. Keys that are no flag are kept as given: the runs
``compare.py`` trains record ``eval_data``, the data it judges them on
(:func:`faceapp.compare_eval.base_data`), which ``evaluate.py`` then uses.
"""
from faceapp import quality_options
from faceapp import runs
from faceapp import train_options
from stargan.losses import cyclegan as cyclegan_losses
from stargan.models import cyclegan
from stargan import presets

#: Adam learning rate of the CycleGAN baseline without --g-lr/--d-lr
#: (Zhu et al. 2017).
CYCLEGAN_LR = 2e-4
#: ``--model`` -> the network sizes always taken from its preset.
MODEL_KEYS = {'stargan': ('g_conv_dim', 'g_res', 'd_conv_dim', 'd_down'),
              'cyclegan': ('g_conv_dim', 'g_res', 'd_conv_dim', 'd_layers')}
#: Options that must be positive (``n_critic`` too for StarGAN).
POSITIVE = ('image_size', 'batch_size', 'iterations', 'log_interval',
            'sample_interval', 'snapshot_interval', 'n_train', 'n_test',
            'n_samples', 'n_eval', 'keep_snapshots', 'classifier_iterations')


class OptionError(ValueError):
    """Options a run cannot start with; the message names the flag and what
    to do (``train.py`` shows it as a usage error, exit code 2)."""


def defaults():
    """``train.py``'s options when no flag is given, as a dict."""
    return vars(train_options.build_parser(None).parse_args([]))


def default_preset(gpu):
    """The preset name without ``--preset``: small on CPU, paper on a GPU.
    """
    return presets.GPU_DEFAULT if gpu >= 0 else presets.CPU_DEFAULT


def fill_from_preset(opts, preset, keys):
    """Sets each of ``keys`` that is None in ``opts`` to ``preset``'s value.
    """
    for key in keys:
        if opts[key] is None:
            opts[key] = preset[key]


def fill_schedule(opts):
    """Decay start (half the run) and sample and snapshot intervals (a
    tenth and a quarter of it) where ``opts`` leaves them unset."""
    n = opts['iterations']
    if opts['decay_start'] is None:
        opts['decay_start'] = n // 2
    opts['sample_interval'] = opts['sample_interval'] or max(1, n // 10)
    opts['snapshot_interval'] = opts['snapshot_interval'] or max(1, n // 4)


def resolve(given):
    """Resolves and checks the options of one training run.

    Args:
        given (dict): Options keyed like ``train.py``'s flags; missing keys
            take its defaults. Not changed.

    Returns:
        dict: Every option, with preset values, sizes and intervals filled.

    Raises:
        OptionError: Options that cannot train, naming the flag.
    """
    opts = dict(defaults(), **given)
    spec = opts['dataset']
    try:
        check_datasets(opts)
        if isinstance(spec, (list, tuple)) and len(spec) == 1:
            opts['dataset'] = spec[0]  # one dataset: a plain path
        if opts['model'] not in RESOLVERS:
            raise ValueError('--model must be one of {}, got {!r}'.format(
                ', '.join(sorted(RESOLVERS)), opts['model']))
        RESOLVERS[opts['model']](opts)
        check(opts)
    except OptionError:
        raise
    except ValueError as e:
        raise OptionError(str(e))
    return opts


def _resolve_stargan(opts):
    opts['preset'] = opts['preset'] or default_preset(opts['gpu'])
    preset = presets.get_preset(opts['preset'])
    fill_from_preset(opts, preset, ('image_size', 'batch_size', 'iterations',
                                    'n_critic', 'g_lr', 'd_lr'))
    opts.update({k: preset[k] for k in MODEL_KEYS['stargan']})
    fill_schedule(opts)
    if opts['eval_interval'] is None:
        opts['eval_interval'] = opts['snapshot_interval']


def _resolve_cyclegan(opts):
    if len(opts['domains'] or ()) != 2:
        raise ValueError('CycleGAN needs exactly two domains (--domains A '
                         'B), got {!r}'.format(opts['domains']))
    name = opts['preset'] or default_preset(opts['gpu'])
    if name not in presets.CYCLEGAN_PRESETS:
        raise ValueError('unknown CycleGAN preset {!r}; choose one of {}'
                         .format(name, ', '.join(presets.CYCLEGAN_PRESETS)))
    preset = dict(presets.CYCLEGAN_PRESETS[name], g_lr=CYCLEGAN_LR,
                  d_lr=CYCLEGAN_LR)
    opts['preset'] = name
    fill_from_preset(opts, preset, ('image_size', 'batch_size', 'iterations',
                                    'g_lr', 'd_lr'))
    opts.update({k: preset[k] for k in MODEL_KEYS['cyclegan']})
    fill_schedule(opts)
    opts['eval_interval'] = 0  # eval/* needs a G(x, c)
    quality_options.resolve_other_model(opts)
    check_cyclegan(opts)


#: ``--model`` -> its resolver (fills ``opts`` in place).
RESOLVERS = {'stargan': _resolve_stargan, 'cyclegan': _resolve_cyclegan}


def check_cyclegan(opts):
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


def check(opts):
    """Rejects impossible values of resolved options with a message naming
    the flag (ValueError)."""
    positive = POSITIVE + (('n_critic',) if opts['model'] == 'stargan'
                           else ())
    for key in positive:
        if opts[key] < 1:
            raise ValueError('--{} must be positive, got {}'.format(
                key.replace('_', '-'), opts[key]))
    if opts['prefetch'] < 0:
        raise ValueError('--prefetch must be 0 (off) or positive, got '
                         '{}'.format(opts['prefetch']))
    quality_options.check(opts)
    if opts['eval_interval'] < 0:
        raise ValueError('--eval-interval must be 0 (off) or positive, got '
                         '{}'.format(opts['eval_interval']))
    if opts['model'] == 'stargan' and \
            opts['image_size'] % 2 ** opts['d_down']:
        raise ValueError('--image-size {} must be a multiple of {} for '
                         'preset {}'.format(opts['image_size'],
                                            2 ** opts['d_down'],
                                            opts['preset']))


def check_datasets(opts):
    """Several --dataset need StarGAN; --joint-ratio one weight each
    (ValueError)."""
    n = len(runs.dataset_specs(opts))
    if n > 1 and opts['model'] != 'stargan':
        raise ValueError('--model {} trains on one --dataset; several '
                         'datasets at once need --model stargan'.format(
                             opts['model']))
    ratio = opts['joint_ratio']
    if ratio is None:
        return
    if n < 2:
        raise ValueError('--joint-ratio needs two or more --dataset')
    if len(ratio) != n or min(ratio) < 0 or sum(ratio) <= 0:
        raise ValueError('--joint-ratio needs one non-negative weight per '
                         '--dataset ({} here), not all 0; got {}'.format(
                             n, ' '.join(str(r) for r in ratio)))
