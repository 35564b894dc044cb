"""Rebuilding a run's datasets and models from its resolved options.

``train.py`` writes every resolved option to ``OUT/args.json``; the other
scripts (evaluate, translate, compare) read it back
(:func:`faceapp.run_files.read_options`) and rebuild with these helpers, so
a model is always rebuilt exactly as it was trained.
"""
import glob
import json
import os

import datasets
from datasets.folder import DatasetError
from datasets.iterators import order
from datasets import joint
from datasets.loading import open_dataset
from faceapp import run_files
from faceapp import snapshots
from stargan import generators
from stargan.models import stargan as networks



#: ``--dataset`` spec of the project's own faces: ``synthetic`` (labels from
#: ``--attributes``) or ``synthetic:GROUP[+GROUP]``, e.g. ``synthetic:hair``.
SYNTHETIC = 'synthetic'
#: prepare.py's default ``--margin``: the crops the runs are trained on.
DEFAULT_FACE_MARGIN = 0.25


def dataset_specs(opts):
    """The ``--dataset`` values of a run as a list (empty: synthetic)."""
    spec = opts.get('dataset')
    if spec is None:
        return []
    return [spec] if isinstance(spec, str) else list(spec)


def is_joint(opts):
    """Whether a run trains on several datasets at once (mask vector)."""
    return len(dataset_specs(opts)) > 1


def is_synthetic(spec):
    """Whether a ``--dataset`` value names the project's own faces."""
    return _synthetic_groups(spec) is not None


def face_margin(opts):
    """prepare.py's margin for the first dataset of a run's options
    ``opts`` it wrote, else its default."""
    for dataset in dataset_specs(opts):
        if is_synthetic(dataset):
            continue
        # prepare.py writes its report beside the folders or the pack, or
        # in each domain folder when each was prepared on its own.
        folder = dataset if os.path.isdir(dataset) else os.path.dirname(
            dataset)
        for report in [os.path.join(folder, 'prepare_report.json')] + sorted(
                glob.glob(os.path.join(folder, '*', 'prepare_report.json'))):
            try:
                with open(report) as f:
                    return float(json.load(f)['options']['margin'])
            except (OSError, ValueError, KeyError, TypeError):
                pass
    return DEFAULT_FACE_MARGIN


def uses_photos(opts):
    """Whether any dataset is real pictures (mirrored during training)."""
    return not all(is_synthetic(s) for s in dataset_specs(opts))


def _synthetic_groups(spec):
    """Label groups of a synthetic spec, or None for a path."""
    name, colon, groups = str(spec).partition(':')
    if name != SYNTHETIC or os.path.exists(spec):
        return None
    return tuple(groups.split('+')) if colon else ()


def open_spec(spec, opts, split, index=0):
    """Opens one ``--dataset`` value (a path or a synthetic spec).

    Synthetic dataset ``index`` of a joint run uses seed ``seed + index``,
    so the datasets show different people.

    Raises:
        DatasetError: The dataset cannot be read; the message says why.
    """
    groups = _synthetic_groups(spec)
    if groups is not None:
        try:
            return datasets.SyntheticFaceDataset(
                opts['n_train'] if split == 'train' else opts['n_test'],
                opts['image_size'], split, opts['seed'] + index,
                groups or tuple(opts['attributes']))
        except ValueError as e:
            raise DatasetError('--dataset {}: {}; write synthetic, '
                               'synthetic:expression, synthetic:hair or '
                               'synthetic:expression+hair'.format(spec, e))
    # Mirroring happens in the updater, whose random state is saved with
    # snapshots, so that a resumed run sees the same flips.
    dataset = open_dataset(spec, opts['image_size'], split,
                           attrs=opts.get('attrs'),
                           test_fraction=opts['test_fraction'],
                           seed=opts['seed'],
                           skip_bad=opts.get('skip_bad', False))
    if split == 'train' and hasattr(dataset, 'skip_unreadable'):
        # A file that fails mid-run is skipped (and counted) rather than
        # ending the run; the same file is skipped again after a resume.
        dataset.skip_unreadable = True
    return dataset


def count_skipped(dataset):
    """Unreadable pictures a dataset (every part of a joint one) skipped.
    """
    parts = getattr(dataset, 'datasets', None) or [dataset]
    return sum(getattr(part, 'n_skipped', 0) for part in parts)


def make_datasets(opts):
    """Returns ``(train, test)`` datasets for the options of a run.

    Synthetic faces without ``dataset``; otherwise a folder per domain, a
    CelebA-style root or an ``.npz`` pack (see
    :func:`datasets.loading.open_dataset`), or a synthetic spec. Several
    datasets give :class:`datasets.joint.JointDataset`\\ s (training
    examples carry the loss mask). All have ``label_names`` and
    ``attribute_groups``.

    Args:
        opts (dict): Resolved options (see ``train.py``'s args.json).

    Raises:
        DatasetError: The dataset cannot be read; the message says why.
    """
    specs = dataset_specs(opts) or [SYNTHETIC]
    parts = [(open_spec(s, opts, 'train', k), open_spec(s, opts, 'test', k))
             for k, s in enumerate(specs)]
    if len(parts) == 1:
        return parts[0]
    try:
        return joint.joint_splits(parts, joint.dataset_names(specs),
                                  ratio=opts.get('joint_ratio'),
                                  seed=opts['seed'])
    except ValueError as e:
        raise DatasetError('--dataset: {}'.format(e))


def check_batch_size(train, batch_size):
    """Refuses a ``--batch-size`` larger than the training set (or, in a
    joint run, than one of its datasets, which fill batches on their own).

    Raises:
        DatasetError: Naming --batch-size and the set's size.
    """
    parts = train.datasets if isinstance(train, joint.JointDataset) \
        else [train]
    smallest = min(len(p) for p in parts)
    if batch_size > smallest:
        raise DatasetError(
            '--batch-size {} is larger than the training set ({} '
            'images{}); use --batch-size {} or less, or add images'.format(
                batch_size, smallest, '' if len(parts) == 1 else
                ' in its smallest dataset', smallest))


def make_iterator(train, opts):
    """The training iterator: reproducible order, joint batches alternating
    datasets (see :class:`datasets.iterators.joint.JointIterator`)."""
    if isinstance(train, joint.JointDataset):
        return train.make_iterator(opts['batch_size'],
                                   n_critic=opts['n_critic'])
    return order.make_iterator(train, opts['batch_size'], opts['seed'])


def group_sizes(dataset):
    """Label layout of a dataset: the size of each attribute group."""
    return [len(values) for _, values in dataset.attribute_groups]


def make_stargan(opts, n_labels):
    """Returns ``(generator, discriminator)`` sized by a run's options
    (``generator``: its kind, plain for runs that predate the choice;
    ``upsample``: deconv for runs that predate it)."""
    kind = opts.get('generator', 'plain')
    if kind not in generators.GENERATORS:
        raise ValueError(
            'the run\'s options name --generator {}, which this version does '
            'not build (it builds {}); use the version that trained it'
            .format(kind, ', '.join(sorted(generators.GENERATORS))))
    gen = generators.GENERATORS[kind](
        n_labels, opts['g_conv_dim'], opts['g_res'],
        upsample=opts.get('upsample', 'deconv'))
    dis = networks.Discriminator(
        opts['image_size'], n_labels, opts['d_conv_dim'], opts['d_down'],
        per_domain=opts.get('dis_head', 'shared') == 'per-domain',
        minibatch_std=opts.get('dis_minibatch_std', False))
    return gen, dis


def load_generator(path, opts, n_labels):
    """Builds the run's generator and loads its weights safely.

    From a trainer snapshot that keeps an average of G's weights
    (``--ema-beta``) the average is loaded, as the export would hold it.

    Args:
        path (str): A whole-trainer snapshot or a generator-only npz.
        opts (dict): The run's options.
        n_labels (int): Label length.

    Returns:
        ~stargan.models.stargan.Generator: With the file's weights.

    Raises:
        ~faceapp.snapshots.UnsafeFileError: The file cannot be loaded.
    """
    gen, _ = make_stargan(opts, n_labels)
    snapshots.load_npz(path, gen, prefix=generator_prefix(path))
    return gen


#: Where a trainer snapshot keeps StarGAN's discriminator.
DIS_PREFIX = 'updater/model:dis/'


def check_generator_kind(path, opts):
    """Refuses a trainer snapshot whose generator is of another kind than
    ``opts['generator']`` builds (a plain model would load an attention
    run's snapshot and silently drop its mask head), of another
    ``opts['upsample']``, or whose discriminator has another
    ``opts['dis_head']`` or ``opts['dis_minibatch_std']``.

    Args:
        path (str): A trainer snapshot.
        opts (dict): The options of the run that loads it.

    Raises:
        ~faceapp.snapshots.UnsafeFileError: Naming the flag to pass.
    """
    gen_prefix = run_files.GEN_PREFIXES['gen']
    if not snapshots.has_key_prefix(path, gen_prefix):
        return
    saved = saved_generator_kind(path, gen_prefix)
    _refuse_other(path, 'generator', saved, opts.get('generator', 'plain'))
    # up1/W is a deconvolution's (in, out, 4, 4) or a convolution's
    # (out, in, 3, 3).
    shape = snapshots.array_shape(path, gen_prefix + 'up1/W')
    saved = 'resize' if shape and shape[-1] == 3 else 'deconv'
    _refuse_other(path, 'upsample', saved, opts.get('upsample', 'deconv'))
    _refuse_other(path, 'dis-head', saved_dis_head(path),
                  opts.get('dis_head', 'shared'))
    shape = snapshots.array_shape(path, DIS_PREFIX + 'src/W')
    # The heads read one more channel with the batch's spread.
    saved = bool(shape) and shape[1] == opts['d_conv_dim'] * 2 ** (
        opts['d_down'] - 1) + 1
    if saved != opts.get('dis_minibatch_std', False):
        raise snapshots.UnsafeFileError(
            '{} holds a discriminator {} --dis-minibatch-std; resume it '
            '{} the flag'.format(path, *(('with', 'with') if saved else
                                         ('without', 'without'))))


def saved_dis_head(path):
    """The ``--dis-head`` of the discriminator a trainer snapshot holds:
    per-domain for several real/fake maps, else shared (also for a
    snapshot without StarGAN's discriminator)."""
    # dis/src/W is (maps, channels, 3, 3): one map, or one per domain.
    shape = snapshots.array_shape(path, DIS_PREFIX + 'src/W')
    return 'per-domain' if shape and shape[0] > 1 else 'shared'


def saved_generator_kind(path, gen_prefix):
    """The ``--generator`` kind whose weights a snapshot holds under
    ``gen_prefix``: a colour head ``t_out`` is recolour's, a mask head
    ``a_out`` without it attention's."""
    if snapshots.has_key_prefix(path, gen_prefix + 't_out/'):
        return 'recolour'
    if snapshots.has_key_prefix(path, gen_prefix + 'a_out/'):
        return 'attention'
    return 'plain'


def _refuse_other(path, flag, saved, wanted):
    if saved != wanted:
        raise snapshots.UnsafeFileError(
            '{} holds a --{f} {} model, not --{f} {}; resume it with --{f} '
            '{}'.format(path, saved, wanted, saved, f=flag))


def generator_prefix(path):
    """Where :func:`load_generator` reads G in the npz at ``path``:
    :data:`~faceapp.run_files.EMA_PREFIX` when present, else G's entry of
    :data:`~faceapp.run_files.GEN_PREFIXES` when present, else the top
    level (a generator-only file).

    Raises:
        ~faceapp.snapshots.UnsafeFileError: Not a readable npz.
    """
    for prefix in (run_files.EMA_PREFIX, run_files.GEN_PREFIXES['gen']):
        if snapshots.has_key_prefix(path, prefix):
            return prefix
    return ''
