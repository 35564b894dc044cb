"""``train.py``'s options for picture quality on a small budget: the
average of G's weights (``--ema-beta``), D's augmentation (``--augment``),
D's objective and real/fake head (``--adversarial``, ``--dis-head``),
the attention-mask generator (``--generator``, ``--lambda-mask``,
``--lambda-mask-tv``) and G's upsampling (``--upsample``)."""
import argparse

from faceapp import arg_types
from stargan import attention
from stargan import generators
from stargan import augment
from stargan.losses import stargan as losses
from stargan.models import stargan as networks


def ema_beta(text):
    """argparse type of ``--ema-beta``: a float in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value < 1:
        raise argparse.ArgumentTypeError(
            'must be a number in [0, 1) (0 turns the average off), got '
            '{!r}'.format(text))
    return value


def augment_policy(text):
    """argparse type of ``--augment``: a policy, normalised (``'none'`` or
    names joined by commas in the order they are applied)."""
    try:
        return ','.join(augment.parse_policy(text)) or 'none'
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def add_quality_arguments(parser):
    """Adds ``--ema-beta``, ``--augment`` and the generator options
    (StarGAN) to a parser.

    Args:
        parser (argparse.ArgumentParser): ``train.py``'s parser.
    """
    q = parser.add_argument_group('quality (StarGAN)')
    q.add_argument('--ema-beta', type=ema_beta, default=0.999,
                   metavar='BETA', help=(
        'keep an exponential moving average of G\'s weights with this decay '
        '(StarGAN v2); the average makes the sample grids, the eval/* '
        'metrics, generator.npz and what translate.py loads from a '
        'snapshot. The decay ramps up as min(beta, (1 + t) / (10 + t)) over '
        'G\'s first updates so short runs forget the random start. 0 turns '
        'it off (the last G is used)'))
    q.add_argument('--augment', type=augment_policy, default='none',
                   metavar='POLICY', help=(
                       'differentiable augmentation of every image D scores, '
                       'real and fake alike (DiffAugment): none, or a comma-'
                       'separated list of translation (shifts of up to 1/8 '
                       'of the side, filled with 0, i.e. mid-grey), cutout '
                       '(a square of half the side set to 0) and color '
                       '(brightness, saturation, contrast; it confuses D\'s '
                       'classification of colour domains such as hair, so '
                       'not for those), e.g. translation,cutout. For '
                       'small datasets; the default stays none: on the '
                       'anime hair set of docs/QUALITY.md translation,'
                       'cutout made the translations overshoot (15.7x the '
                       'real-vs-real floor against 10.2x, same budget)'))
    add_adversarial_arguments(q)
    add_generator_arguments(q)


#: ``--dis-head`` choices: D's real/fake maps (auto: chosen by the labels,
#: see :func:`resolve_dis_head`).
DIS_HEADS = ('auto', 'shared', 'per-domain')
#: ``--lambda-cls`` where the command line leaves it out, by D's real/fake
#: head: the paper's 1 with the shared map. With a map per domain the maps
#: check the domain too, and 0.5 keeps the classification loss from pulling
#: every translation towards the most typical face of its domain (measured
#: best of 0 to 1 on the real hair colours in docs/QUALITY.md).
LAMBDA_CLS = {'shared': 1., 'per-domain': .5}


def add_adversarial_arguments(group):
    """``--adversarial``, ``--lambda-r1`` and ``--dis-head``."""
    group.add_argument('--adversarial', choices=sorted(losses.ADVERSARIAL),
                       default='wgan-gp', help=(
        'D\'s objective. wgan-gp (the paper\'s): a WGAN critic with the '
        'gradient penalty at interpolates of real and fake images, weight '
        '--lambda-gp. r1 (StarGAN v2\'s): the non-saturating logistic loss '
        'with the R1 penalty, the squared gradient of D at real images, '
        'weight --lambda-r1; measured in docs/QUALITY.md'))
    group.add_argument('--lambda-r1', type=arg_types.non_negative_float,
                       default=1.0, help=(
        'with --adversarial r1: weight gamma of the penalty gamma / 2 * '
        'E|grad D(x)|^2 (StarGAN v2: 1)'))
    group.add_argument('--dis-head', choices=DIS_HEADS, default='shared',
                       help=(
        'D\'s real/fake output. shared (the paper\'s): one map judges '
        'every image alike, and the classification head alone checks the '
        'domain. per-domain (StarGAN v2\'s multi-task discriminator): one '
        'map per domain, each judging whether an image is a real image of '
        'its domain (a translation is judged by its target\'s map), so '
        'translations are pushed to look like that domain\'s real images, '
        'not only to be classified as it; it needs one exclusive group of '
        'domains (a folder per domain, or one synthetic attribute), and '
        'the classification head stays. auto: per-domain where the labels '
        'are one such group, else shared; a resumed run keeps its '
        'snapshot\'s head (a rule about labels, not attributes: it takes '
        'the maps for expressions too). Measured in docs/QUALITY.md: '
        'per-domain is the choice for colour attributes (real hair '
        'colours: 6.0x the floor against 10.2x for plain, with every '
        'generator); for expressions the shared map was better (smiles in '
        'photos: 2.0x against 2.4x; train.py\'s drawn faces: a lower '
        'ground-truth L1 on two seeds), so the default stays the '
        'paper\'s'))
    group.add_argument('--dis-minibatch-std', action='store_true', help=(
        'give D\'s heads one more feature, how much the images of its batch '
        'vary (ProGAN\'s minibatch standard deviation), so D can tell a '
        'batch of translations that are all alike from real images, which '
        'vary. Not with --communicator: each process would see only its '
        'own share of the batch'))


def add_generator_arguments(group):
    """``--generator``, ``--lambda-mask``, ``--lambda-mask-tv`` and
    ``--upsample``."""
    group.add_argument('--generator', choices=sorted(generators.GENERATORS),
                       default='plain', help=(
        'plain: G paints the whole output image; attention (GANimation): G '
        'paints a colour image C and a mask A in [0, 1] and outputs A * C + '
        '(1 - A) * input, so what the target does not touch is kept '
        'exactly; recolour: G keeps the input\'s pixels and moves their '
        'colours, through affine colour maps that vary smoothly over the '
        'image, where a mask A says, so edges and texture survive and '
        'nothing is painted. Sample grids show each mask in grey under its '
        'row. Measured in docs/QUALITY.md'))
    group.add_argument('--lambda-mask', type=arg_types.non_negative_float,
                       default=attention.LAMBDA_MASK, help=(
        'with --generator attention or recolour: weight of the masks\' '
        'mean, which pushes G to change only what it must. Too high and G '
        'learns the identity (A = 0), against the classification loss: watch '
        'gen/loss_mask falling to 0 while gen/loss_cls rises (it did at '
        '0.1 in a 64 px run of docs/QUALITY.md; 0.01 is measured there too)'))
    group.add_argument('--lambda-mask-tv', type=arg_types.non_negative_float,
                       default=attention.LAMBDA_MASK_TV, help=(
        'with --generator attention or recolour: weight of the masks\' '
        'total variation (mean absolute difference of neighbours), for '
        'smooth masks'))
    group.add_argument('--upsample', choices=networks.UPSAMPLES,
                       default='deconv', help=(
        'how G doubles its feature maps, twice. deconv (the paper\'s): 4x4 '
        'stride-2 transposed convolutions; each of the four pixels of '
        'every 2x2 output block is computed by its own quarter of the '
        'kernel, so the four can drift apart and paint a fine '
        'checkerboard over the translations. resize: nearest-neighbour x2 '
        'then a 3x3 convolution (Odena et al. 2016), one kernel for every '
        'pixel, so no such pattern. It is computed as one transposed '
        'convolution of a kernel folded from the 3x3 one, so it costs about '
        'what deconv costs, with fewer weights. Choose resize when '
        'translations show a '
        'checkerboard; the default stays deconv, the '
        'network of runs before the choice'))


#: Options only StarGAN uses: ``(key, the value that leaves it unused,
#: the refusal of another value with another --model)``.
STARGAN_ONLY = (
    ('upsample', 'deconv', '--upsample {value} works with --model stargan '
     'only; --model {model} has its own generators (leave --upsample out)'),
    ('adversarial', 'wgan-gp', '--adversarial works with --model stargan '
     'only; --model {model} has --gan-loss'),
    ('augment', 'none', '--augment works with --model stargan only, not '
     '--model {model}'),
    ('generator', 'plain', '--generator {value} works with --model stargan '
     'only; --model {model} has its own generators (leave --generator '
     'out)'),
    ('dis_minibatch_std', False, '--dis-minibatch-std works with --model '
     'stargan only, not --model {model}'),
    ('dis_head', 'shared', '--dis-head {value} works with --model stargan '
     'only; --model {model} has its own discriminators (leave --dis-head '
     'out)'))


def check(opts):
    """Rejects an unknown ``--upsample`` or ``--dis-head``,
    ``--dis-minibatch-std`` with ``--communicator``, and any of
    :data:`STARGAN_ONLY` set with another model (ValueError naming the
    flag)."""
    upsample = opts.get('upsample', 'deconv')
    if upsample not in networks.UPSAMPLES:
        raise ValueError('--upsample must be one of {}, got {!r}'.format(
            ', '.join(networks.UPSAMPLES), upsample))
    if opts.get('dis_head', 'shared') not in DIS_HEADS:
        raise ValueError('--dis-head must be one of {}, got {!r}'.format(
            ', '.join(DIS_HEADS), opts['dis_head']))
    if opts.get('dis_minibatch_std') and opts.get('communicator'):
        raise ValueError('--dis-minibatch-std cannot train with '
                         '--communicator: D would measure the spread of each '
                         'process\'s share of the batch, not of the batch')
    if opts['model'] == 'stargan':
        return
    for key, unused, refusal in STARGAN_ONLY:
        value = opts.get(key, unused)
        if value != unused:
            raise ValueError(refusal.format(value=value, model=opts['model']))


def resolve_other_model(opts):
    """Fills ``--dis-head auto`` and an unset ``--lambda-cls`` of a model
    other than StarGAN, which uses neither: shared and the paper's 1, as
    runs recorded them before the choice."""
    if opts.get('dis_head') == 'auto':
        opts['dis_head'] = 'shared'
    if opts.get('lambda_cls') is None:
        opts['lambda_cls'] = LAMBDA_CLS['shared']


def resolve_dis_head(opts, group_sizes, saved=None):
    """Fills ``--dis-head auto`` and an unset ``--lambda-cls`` of a StarGAN
    run once its labels are known, in place (what args.json records), and
    checks the head.

    Args:
        opts (dict): The run's resolved options.
        group_sizes (list of int): The size of each exclusive label group.
        saved (str): The head of the snapshot the run resumes, if any: auto
            keeps it, so a run trained before the choice resumes as it was.

    Raises:
        ValueError: ``--dis-head per-domain`` with labels it cannot map.
    """
    if opts.get('dis_head', 'shared') == 'auto':
        opts['dis_head'] = saved or (
            'per-domain' if one_group(group_sizes) else 'shared')
    if opts.get('lambda_cls') is None:
        opts['lambda_cls'] = LAMBDA_CLS[opts.get('dis_head', 'shared')]
    check_dis_head(opts, group_sizes)


def one_group(group_sizes):
    """Whether labels of these group sizes are one exclusive group of two
    or more domains, the labels a map per domain can stand for."""
    return len(group_sizes) == 1 and group_sizes[0] >= 2


def check_dis_head(opts, group_sizes):
    """Refuses ``--dis-head per-domain`` unless the labels are one
    exclusive group of two or more domains (ValueError naming the flag):
    a map per label means a domain per label."""
    if opts.get('dis_head', 'shared') == 'shared':
        return
    if not one_group(group_sizes):
        raise ValueError(
            '--dis-head per-domain needs one exclusive group of domains (a '
            'folder per domain, or one synthetic attribute); these labels '
            'form groups of sizes {} (use --dis-head shared)'.format(
                list(group_sizes)))
