"""Generator-only model files: what ``translate.py`` and users load.

An export is one ``.npz`` file in chainer's npz layout (``c_in/W``,
``res/0/n1/gamma``, ...: ``chainer.serializers.load_npz`` reads it as it
reads any generator file) plus one more array, ``export_config``: a 0-d
unicode array holding the JSON config below. Keeping the config inside the
weights file means the two can never be separated or disagree, and the file
is written in one atomic step.

================= ==========================================================
config key        meaning
================= ==========================================================
format_version    :data:`FORMAT_VERSION`
model             ``'stargan'`` ('cyclegan': :mod:`faceapp.cyclegan_export`)
preset            preset name the run used (``small``, ``paper``, ...)
image_size        side S of the faces the generator was trained on
g_conv_dim        generator width (channels of its first layer)
g_res             generator residual blocks
generator         ``'plain'``, ``'attention'`` or ``'recolour'``
                  (:data:`stargan.generators.GENERATORS`;
                  ``--generator``); absent means plain
upsample          ``'deconv'`` or ``'resize'`` (:data:`stargan.models.
                  stargan.UPSAMPLES`; ``--upsample``); absent means deconv
label_names       name of each label position, length L
attribute_groups  ``[[group_name, [value, ...]], ...]`` whose values
                  concatenated are ``label_names``; a group of one value is a
                  binary attribute, a larger one is exclusive (one-hot)
face_margin       context around each detected face, per side, as a fraction
                  of the face (prepare.py's ``--margin``; 0.25 unless the
                  run's dataset was prepared with another)
weights           ``'ema'``: the average of G's weights kept during
                  training (``--ema-beta``); ``'last'``: G as last updated
ema_beta          the average's decay (0 with ``'last'``)
datasets          only for a model trained on several datasets:
                  ``[[name, attribute_groups], ...]`` per dataset; then
                  ``attribute_groups`` is their joint layout with the mask
                  vector last (see :mod:`stargan.labels.joint`)
================= ==========================================================

Every array is read with ``allow_pickle=False`` and checked against the
config before anything is loaded.
"""
import json

import numpy

from chainer import serializers

from datasets import atomic
from faceapp import run_files
from faceapp import runs
from faceapp import snapshots
from faceapp.snapshots import UnsafeFileError
from stargan import generators
from stargan.models import stargan as networks

FORMAT_VERSION = 1
CONFIG_KEY = 'export_config'
#: Name ``train.py`` gives the export in its out dir (a run-directory rule,
#: kept in :mod:`faceapp.run_files`).
EXPORT_NAME = run_files.EXPORT_NAME
#: prepare.py's default ``--margin`` (kept in :mod:`faceapp.runs`).
DEFAULT_FACE_MARGIN = runs.DEFAULT_FACE_MARGIN
_INT_KEYS = ('image_size', 'g_conv_dim', 'g_res')


def config_from_options(opts, train_dataset):
    """The export config of a training run.

    Args:
        opts (dict): The run's resolved options (``train.py``'s args.json).
        train_dataset: Its training set (has ``label_names`` and
            ``attribute_groups``).

    Returns:
        dict: JSON-serialisable config (see the module table).
    """
    if opts.get('model', 'stargan') != 'stargan':
        raise ValueError('only StarGAN generators can be exported, not {!r}'
                         .format(opts['model']))
    config = {
        'format_version': FORMAT_VERSION, 'model': 'stargan',
        'preset': opts.get('preset'),
        'label_names': [str(n) for n in train_dataset.label_names],
        'attribute_groups': [[str(g), [str(v) for v in values]]
                             for g, values in train_dataset.attribute_groups],
        'face_margin': runs.face_margin(opts),
        'generator': opts.get('generator', 'plain'),
        'upsample': opts.get('upsample', 'deconv')}
    config.update((k, int(opts[k])) for k in _INT_KEYS)
    config.update(weights_note(opts.get('ema_beta', 0.)))
    if hasattr(train_dataset, 'layout'):  # several datasets at once
        config['datasets'] = [
            [name, [[str(g), [str(v) for v in values]]
                    for g, values in part.attribute_groups]]
            for name, part in zip(train_dataset.names,
                                  train_dataset.datasets)]
    return config


def weights_note(ema_beta):
    """The config keys saying which weights an export holds.

    Args:
        ema_beta (float): Decay of the average exported; 0: the last G.

    Returns:
        dict: ``weights`` and ``ema_beta`` (see the module table).
    """
    return {'weights': 'ema' if ema_beta else 'last',
            'ema_beta': float(ema_beta or 0.)}


def export_generator(path, generator, config):
    """Writes a generator and its config as one npz, atomically.

    Args:
        path (str): Destination, e.g. ``OUT/generator.npz``.
        generator (~stargan.models.stargan.Generator): The weights (any
            device).
        config (dict): From :func:`config_from_options`.

    Raises:
        ValueError: The config is incomplete or does not fit the weights.
    """
    check_config(config, path)
    ser = serializers.DictionarySerializer()
    ser.save(generator)
    arrays = dict(ser.target)  # already on the CPU
    _check_weights(arrays, _build(config), config, path)
    write_export(path, arrays, config)


def write_export(path, arrays, config):
    """Writes ``arrays`` (name -> CPU numpy.ndarray) and the JSON
    ``config`` (as :data:`CONFIG_KEY`) to ``path`` as one npz, atomically.
    """
    arrays = dict(arrays)
    arrays[CONFIG_KEY] = numpy.array(json.dumps(config, sort_keys=True))
    with atomic.atomic_open(path, 'wb') as f:
        numpy.savez_compressed(f, **arrays)


def read_export(path):
    """``(arrays, config)`` of the export npz ``path``, read without
    pickle: name -> numpy.ndarray (less :data:`CONFIG_KEY`) and the config
    dict, not yet checked. Raises UnsafeFileError (missing, not an npz,
    object arrays, no config)."""
    arrays = snapshots.read_arrays(path)
    if CONFIG_KEY not in arrays:
        raise UnsafeFileError(
            '{} has no {} array, so it is not a generator export; export a '
            'run with export_from_run, or pass the run dir or snapshot'
            .format(path, CONFIG_KEY))
    return arrays, _parse_config(arrays.pop(CONFIG_KEY), path)


def load_exported(path):
    """Loads an export written by :func:`export_generator`.

    Args:
        path (str): The npz file.

    Returns:
        tuple: ``(generator, config)``: a CPU
        generator of the config's kind (:data:`stargan.generators.
        GENERATORS`) and the config dict.

    Raises:
        UnsafeFileError: The file is missing, not an npz, holds object
            arrays (refused unread), lacks arrays or its config, or its
            config does not match its weights; the message names the file.
    """
    return from_arrays(*read_export(path), path=path)


def from_arrays(arrays, config, path):
    """The generator of arrays and config read by :func:`read_export`
    (see :func:`load_exported`)."""
    check_config(config, path)
    gen = _build(config)
    _check_weights(arrays, gen, config, path)
    snapshots.load_arrays(arrays, gen, path)
    return gen, config


def is_export(path):
    """True when ``path`` is an npz holding an export config."""
    try:
        return CONFIG_KEY in snapshots.npz_keys(path)
    except UnsafeFileError:
        return False


def _parse_config(array, path):
    if array.dtype.kind != 'U' or array.ndim != 0:
        raise UnsafeFileError('{}: {} must be a JSON text (0-d unicode '
                              'array), got {} {}'.format(
                                  path, CONFIG_KEY, array.dtype, array.shape))
    try:
        return json.loads(str(array[()]))
    except ValueError as e:
        raise UnsafeFileError('{}: {} is not valid JSON: {}'.format(
            path, CONFIG_KEY, e)) from e


def check_config(config, path):
    """Checks an export config's keys and types.

    Args:
        config (dict): The config.
        path (str): The file, for messages.

    Raises:
        UnsafeFileError: What is wrong, naming ``path``.
    """
    def bad(why):
        return UnsafeFileError('{}: bad export config: {}'.format(path, why))
    if not isinstance(config, dict):
        raise bad('not a JSON object')
    missing = [k for k in ('format_version', 'model', 'label_names',
                           'attribute_groups') + _INT_KEYS
               if k not in config]
    if missing:
        raise bad('missing ' + ', '.join(missing))
    if config['format_version'] != FORMAT_VERSION:
        raise bad('format version {!r}; this code reads version {}'.format(
            config['format_version'], FORMAT_VERSION))
    if config['model'] != 'stargan':
        raise bad('model {!r} is not stargan'.format(config['model']))
    for k in _INT_KEYS:
        # bool is an int subclass; true/false in the JSON is a mistake.
        if type(config[k]) is not int or config[k] < 1:
            raise bad('{} must be a positive integer, got {!r}'.format(
                k, config[k]))
    if config['image_size'] % 4:
        raise bad('image_size {} is not a multiple of 4 (the generator '
                  'halves it twice)'.format(config['image_size']))
    groups, names = config['attribute_groups'], config['label_names']
    try:
        flat = [v for _, values in groups for v in values]
        ok = all(values and all(isinstance(v, str) for v in values)
                 for _, values in groups)
    except (TypeError, ValueError):
        ok = False
    if not ok or not isinstance(names, list) or flat != names or not names:
        raise bad('attribute_groups {!r} do not list label_names {!r} in '
                  'order'.format(groups, names))
    for key, known, default in (('generator', generators.GENERATORS, 'plain'),
                                ('upsample', networks.UPSAMPLES, 'deconv')):
        value = config.get(key, default)
        if not isinstance(value, str) or value not in known:
            raise bad('{} must be one of {}, got {!r}'.format(
                key, ', '.join(sorted(known)), value))
    margin = config.get('face_margin', DEFAULT_FACE_MARGIN)
    if not isinstance(margin, (int, float)) or margin < 0:
        raise bad('face_margin must be a number >= 0, got {!r}'.format(
            margin))


def _build(config):
    return generators.GENERATORS[config.get('generator', 'plain')](
        len(config['label_names']), config['g_conv_dim'], config['g_res'],
        upsample=config.get('upsample', 'deconv'))


def _check_weights(arrays, gen, config, path):
    """Refuses weights whose names or shapes differ from ``gen``'s."""
    want = {name.lstrip('/'): p.shape for name, p in gen.namedparams()}
    missing = sorted(set(want) - set(arrays))
    extra = sorted(set(arrays) - set(want))
    wrong = sorted(k for k in set(want) & set(arrays)
                   if arrays[k].shape != want[k]
                   or arrays[k].dtype.kind != 'f')
    if missing or extra or wrong:
        parts = []
        if missing:
            parts.append('missing arrays ' + ', '.join(missing[:5]))
        if extra:
            parts.append('unexpected arrays ' + ', '.join(extra[:5]))
        if wrong:
            parts.append('wrong shapes ' + ', '.join(
                '{} {} (config expects {})'.format(
                    k, arrays[k].shape, want[k]) for k in wrong[:5]))
        raise UnsafeFileError(
            '{}: the weights do not match the config ({} generator, {} '
            'upsampling, {} labels, g_conv_dim {}, g_res {}): {}'.format(
                path, config.get('generator', 'plain'),
                config.get('upsample', 'deconv'),
                len(config['label_names']), config['g_conv_dim'],
                config['g_res'], '; '.join(parts)))
