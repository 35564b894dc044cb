"""Command-line options of ``train.py``: the flags, their groups, defaults
and help. The script resolves and checks them; nothing below it sees them."""
import argparse

import chainer
from faceapp import arg_types

from extensions import multinode
from faceapp import judging
from faceapp import quality_options
from stargan.losses import cyclegan as cyclegan_losses
from stargan import presets

#: What --model accepts (CycleGAN is wired by faceapp/cyclegan_wiring.py).
MODEL_NAMES = ('cyclegan', 'stargan')


def add_split_sizes(group):
    """``--n-train``, ``--n-test`` (synthetic faces) and ``--test-fraction``
    (of a folder's domains), shared with ``compare.py``."""
    group.add_argument('--n-train', type=int, default=2000,
                       help='synthetic training faces')
    group.add_argument('--n-test', type=int, default=200,
                       help='synthetic test faces')
    group.add_argument('--test-fraction', type=arg_types.open_fraction,
                       default=0.1, help=(
                           'share of each --dataset domain held out for '
                           'testing, more than 0 and less than 1'))


def build_parser(description):
    """The argument parser of ``train.py``.

    Args:
        description (str): The script's help text.

    Returns:
        argparse.ArgumentParser
    """
    p = argparse.ArgumentParser(
        description=description,
        formatter_class=arg_types.HelpFormatter)
    data = p.add_argument_group('data')
    data.add_argument('--dataset', action='append', default=None,
                      metavar='PATH', help=(
                          'a folder with one sub-folder of images per domain '
                          '(DIR/<domain>/*.png|jpg), a CelebA-style root '
                          'holding list_attr_celeba.txt (with --attrs), an '
                          '.npz pack written by prepare.py, or the '
                          'project\'s own faces: synthetic, '
                          'synthetic:expression, synthetic:hair, '
                          'synthetic:expression+hair; omitted: synthetic. '
                          'Repeat it to train one model on several datasets '
                          'with their own label sets (StarGAN\'s mask '
                          'vector), e.g. --dataset synthetic:expression '
                          '--dataset synthetic:hair'))
    data.add_argument('--joint-ratio', type=float, nargs='+', default=None,
                      metavar='W', help=(
                          'with several --dataset: relative share of batches '
                          'from each, e.g. 2 1; default: take turns, as the '
                          'paper does'))
    data.add_argument('--attrs', nargs='+', default=None, metavar='NAME',
                      help=('CelebA attributes to learn, e.g. Black_Hair '
                            'Blond_Hair Brown_Hair Male Young (hair colours '
                            'form one exclusive group)'))
    data.add_argument('--skip-bad', action='store_true', help=(
        'skip unreadable images (and report how many) instead of stopping'))
    data.add_argument('--prefetch', type=int, default=2, metavar='N', help=(
        'batches read ahead in a background thread while the current one '
        'trains, so decoding never stalls training; 0 reads in the training '
        'thread. Resume stays exact either way'))
    data.add_argument('--attributes', nargs='+', default=['expression'],
                      choices=['expression', 'hair'], help=(
                          'label groups of the synthetic faces; add "hair" '
                          'for multi-label training'))
    add_split_sizes(data)
    model = p.add_argument_group('model')
    model.add_argument('--model', choices=MODEL_NAMES, default='stargan',
                       help='what to train')
    model.add_argument('--preset', choices=sorted(
        set(presets.PRESETS) | set(presets.CYCLEGAN_PRESETS)),
                       default=None, help=(
                           'network size; default: {} on CPU, {} with --gpu'
                           .format(presets.CPU_DEFAULT, presets.GPU_DEFAULT)))
    model.add_argument('--image-size', type=int, default=None,
                       help='pixels (default: the preset\'s)')
    train = p.add_argument_group('training')
    train.add_argument('--batch-size', type=int, default=None,
                       help='default: the preset\'s')
    train.add_argument('--iterations', type=int, default=None,
                       help='D steps in all (default: the preset\'s)')
    train.add_argument('--decay-start', type=int, default=None, help=(
        'iteration where learning rates start decaying linearly to 0 '
        '(default: half of --iterations)'))
    train.add_argument('--n-critic', type=int, default=None,
                       help='D steps per G step (default: the preset\'s; '
                       'paper: 5)')
    train.add_argument('--lambda-cls',
                       type=arg_types.non_negative_float, default=None,
                       help='weight of domain classification (default: 1, '
                       'the paper\'s, with D\'s shared real/fake map; 0.5 '
                       'with --dis-head per-domain, measured best there in '
                       'docs/QUALITY.md)')
    train.add_argument('--lambda-rec',
                       type=arg_types.non_negative_float, default=10.,
                       help='weight of cycle reconstruction')
    train.add_argument('--lambda-gp',
                       type=arg_types.non_negative_float, default=10.,
                       help='weight of the gradient penalty')
    train.add_argument('--g-lr',
                       type=arg_types.positive_float, default=None, help=(
        'G Adam learning rate (default: the preset\'s; paper: 1e-4)'))
    train.add_argument('--d-lr',
                       type=arg_types.positive_float, default=None, help=(
        'D Adam learning rate (default: the preset\'s; paper: 1e-4)'))
    train.add_argument('--beta1', type=float, default=0.5, help='Adam beta1')
    train.add_argument('--beta2', type=float, default=0.999,
                       help='Adam beta2')
    run = p.add_argument_group('run')
    add_run_options(run, 'result', log_interval=10, n_samples=8,
                    rows='test faces', restored=RESTORED)
    run.add_argument('--communicator', default=None,
                     choices=sorted(multinode.COMMUNICATORS), help=(
                         'train data-parallel over MPI processes started by '
                         'mpiexec -n N (ChainerMN): naive on CPUs, '
                         'pure_nccl on GPUs (process i uses GPU --gpu + its '
                         'rank on the machine; naive and flat there need a '
                         'CUDA-aware MPI). --batch-size is per '
                         'process; N processes train like one at N times '
                         'the batch. Needs the mpi extra (see README)'))
    quality_options.add_quality_arguments(p)
    add_cyclegan_arguments(p)
    ev = p.add_argument_group('evaluation during training')
    ev.add_argument('--eval-interval', type=int, default=None, help=(
        'iterations between eval/* metrics judged by a domain classifier '
        '(default: the snapshot interval; 0 turns evaluation off)'))
    ev.add_argument('--n-eval', type=int, default=100,
                    help='test images translated at each evaluation')
    add_judge_options(ev)
    return p


#: How train.py's ``--resume`` help ends: what a resumed run gets back.
RESTORED = ('; models, optimizers, data order, learning rates and random '
            'streams are restored exactly')


def add_run_options(group, default_out, log_interval, n_samples, rows,
                    restored):
    """The flags of a training run and its folder, shared by ``train.py``
    and ``train_sr.py``: ``--gpu``, ``--seed``, ``--deterministic``,
    ``--out``, the intervals, ``--n-samples``, ``--resume``, ``--force``
    and ``--keep-snapshots``, in that order.

    Args:
        group: The argparse group to add them to.
        default_out (str): Default of ``--out``.
        log_interval (int): Default of ``--log-interval``.
        n_samples (int): Default of ``--n-samples``.
        rows (str): What the rows of a sample grid are, e.g. 'test faces'.
        restored (str): How the help of ``--resume`` ends.
    """
    group.add_argument('--gpu', type=int, default=-1,
                       help='GPU id (needs CuPy and CUDA); -1 trains on CPU')
    group.add_argument('--seed', type=int, default=0, help='random seed')
    add_deterministic_option(group)
    group.add_argument('--out', default=default_out,
                       help='output directory')
    group.add_argument('--log-interval', type=int, default=log_interval,
                       help='iterations between log lines')
    group.add_argument('--sample-interval', type=int, default=None, help=(
        'iterations between sample grids (default: iterations / 10)'))
    group.add_argument('--snapshot-interval', type=int, default=None, help=(
        'iterations between trainer snapshots (default: iterations / 4)'))
    group.add_argument('--n-samples', type=int, default=n_samples,
                       help=rows + ' (rows) in each sample grid')
    group.add_argument('--resume', default=None, metavar='SNAPSHOT', help=(
        'continue from a trainer snapshot file, or "auto" for the newest '
        'complete one in --out' + restored))
    group.add_argument('--force', action='store_true', help=(
        'start afresh in an --out that holds an earlier run: its files are '
        'moved into --out/previous-<UTC time>/ first'))
    group.add_argument('--keep-snapshots', type=int, default=3,
                       help='how many trainer snapshots to keep')


def add_judge_options(group):
    """``--classifier-iterations`` and ``--cache-dir`` of the domain
    classifier that judges translations, shared with ``compare.py``."""
    group.add_argument('--classifier-iterations', type=int, default=600,
                       help='training steps of the judging classifier')
    group.add_argument('--cache-dir', default=judging.default_cache_dir(),
                       help='where judging classifiers are cached')


def add_cyclegan_variants(group):
    """The CycleGAN variant flags (``--gan-loss``, ``--label-noise``,
    ``--embedding-dis``, ``--kernel-size``, ``--perceptual-net``), shared
    with ``compare.py`` so that both train the same variants."""
    group.add_argument('--gan-loss', choices=cyclegan_losses.GAN_LOSSES,
                       default='lsgan', help='adversarial loss')
    group.add_argument('--label-noise', type=float, default=0., help=(
        'eps of uniform noise on D targets: real in [1-eps, 1], fake in '
        '[0, eps]; 0 turns it off (not with wgan-gp)'))
    group.add_argument('--embedding-dis', action='store_true', help=(
        'add a critic on the generators\' bottleneck embeddings that pushes '
        'both domains into one shared space (XGAN)'))
    group.add_argument('--kernel-size', type=int, default=3, help=(
        'odd kernel size of the residual and resampling convolutions (D: '
        'one more); above 3: the larger-kernel variant'))
    group.add_argument('--perceptual-net', default=None, metavar='NPZ', help=(
        'chainer npz of a DomainClassifier or L.VGG16Layers for a '
        'perceptual identity loss between inputs and translations; nothing '
        'is downloaded'))


def add_cyclegan_arguments(parser):
    """Adds the ``--model cyclegan`` options to train.py's parser.

    Args:
        parser (argparse.ArgumentParser): The parser.
    """
    cg = parser.add_argument_group('CycleGAN (--model cyclegan)')
    cg.add_argument('--domains', nargs=2, default=None, metavar='NAME',
                    help=('the two domains (label names) to translate '
                          'between, e.g. smile sad'))
    add_cyclegan_variants(cg)
    cg.add_argument('--lambda-perceptual',
                    type=arg_types.non_negative_float, default=1.,
                    help='weight of the perceptual identity loss')
    cg.add_argument('--lambda-emb',
                    type=arg_types.non_negative_float, default=1.,
                    help='weight of the encoders\' embedding loss')
    cg.add_argument('--pool-size', type=int, default=50,
                    help='past fakes kept for D (0 turns the pool off)')
    cg.add_argument('--lambda-cycle',
                    type=arg_types.non_negative_float, default=10.,
                    help='weight of the cycle-consistency L1')
    cg.add_argument('--lambda-identity',
                    type=arg_types.non_negative_float, default=0.5, help=(
        'identity L1 weight relative to --lambda-cycle (0 turns it off)'))


def add_deterministic_option(group):
    """``--deterministic`` (default) / ``--no-deterministic``: whether
    cuDNN runs its deterministic algorithms (``deterministic`` option)."""
    group.add_argument('--deterministic', dest='deterministic',
                       action='store_true', default=True, help=(
                           'on the GPU, cuDNN\'s deterministic algorithms '
                           '(default), so that a resumed run ends bitwise '
                           'equal to an uninterrupted one; they are slower '
                           '(see README, GPU). The CPU is always '
                           'deterministic'))
    group.add_argument('--no-deterministic', dest='deterministic',
                       action='store_false', help=(
                           'let cuDNN pick its fastest algorithms, some of '
                           'which sum in a varying order: a resumed GPU run '
                           'then ends close to, not equal to, an '
                           'uninterrupted one'))


def deterministic(opts):
    """Context for training on resolved options: cuDNN's deterministic
    algorithms unless ``--no-deterministic`` (a scoped chainer setting)."""
    return chainer.using_config('cudnn_deterministic',
                                opts.get('deterministic', True))
