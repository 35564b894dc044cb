"""Rebuilding a run's datasets and models from its resolved options.

``train.py`` writes every resolved option to ``OUT/args.json``; the other
scripts (evaluate, translate, compare) read it back through these helpers so
a model is always rebuilt exactly as it was trained.
"""
import json
import os

import datasets
from datasets.folder import DatasetError
from datasets.loading import open_dataset
from extensions import snapshots
from stargan import networks

#: Key prefix of the generator inside a whole-trainer snapshot.
GEN_PREFIX = 'updater/model:gen/'


def make_datasets(opts):
    """Returns ``(train, test)`` datasets for the options of a run.

    Synthetic faces without ``dataset``; otherwise a folder per domain, a
    CelebA-style root or an ``.npz`` pack (see
    :func:`datasets.loading.open_dataset`). Both have ``label_names`` and
    ``attribute_groups``.

    Args:
        opts (dict): Resolved options (see ``train.py``'s args.json).

    Raises:
        DatasetError: The dataset cannot be read; the message says why.
    """
    if opts.get('dataset') is None:
        def make(n, split):
            return datasets.SyntheticFaceDataset(
                n, opts['image_size'], split, opts['seed'],
                tuple(opts['attributes']))
        return make(opts['n_train'], 'train'), make(opts['n_test'], 'test')

    # Mirroring happens in the updater, whose random state is saved with
    # snapshots, so that a resumed run sees the same flips.
    def make(split):
        return open_dataset(opts['dataset'], opts['image_size'], split,
                            attrs=opts.get('attrs'),
                            test_fraction=opts['test_fraction'],
                            seed=opts['seed'],
                            skip_bad=opts.get('skip_bad', False))
    return make('train'), make('test')


def group_sizes(dataset):
    """Label layout of a dataset: the size of each attribute group."""
    return [len(values) for _, values in dataset.attribute_groups]


def make_stargan(opts, n_labels):
    """Returns ``(generator, discriminator)`` sized by a run's options."""
    gen = networks.Generator(n_labels, opts['g_conv_dim'], opts['g_res'])
    dis = networks.Discriminator(opts['image_size'], n_labels,
                                 opts['d_conv_dim'], opts['d_down'])
    return gen, dis


def read_options(run_dir):
    """Reads ``run_dir/args.json``.

    Raises:
        DatasetError: It is missing or not JSON, with what to do.
    """
    path = os.path.join(run_dir, 'args.json')
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise DatasetError(
            'cannot read the run options {} ({}); evaluate a snapshot inside '
            'the out dir train.py wrote, or pass --run-dir'.format(path, e))


def load_generator(path, opts, n_labels):
    """Builds the run's generator and loads its weights safely.

    Args:
        path (str): A whole-trainer snapshot or a generator-only npz.
        opts (dict): The run's options.
        n_labels (int): Label length.

    Returns:
        ~stargan.networks.Generator: With the file's weights.

    Raises:
        ~extensions.snapshots.UnsafeFileError: The file cannot be loaded.
    """
    gen, _ = make_stargan(opts, n_labels)
    prefix = GEN_PREFIX if snapshots.has_key_prefix(path, GEN_PREFIX) else ''
    snapshots.load_npz(path, gen, prefix=prefix)
    return gen
