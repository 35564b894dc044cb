"""The CycleGAN baseline's model file: both generators of a pair in one npz.

Same format as the StarGAN export (:mod:`faceapp.export`: chainer npz
arrays plus the JSON config in ``export_config``, read with
``allow_pickle=False``, written atomically); the weights of direction
``a->b`` are under ``gen_ab/``, those of ``b->a`` under ``gen_ba/``.

================= ==========================================================
config key        meaning
================= ==========================================================
format_version    :data:`faceapp.export.FORMAT_VERSION`
model             ``'cyclegan'`` (a StarGAN reader refuses the file by it)
kind              ``'cyclegan'``, the same word, for readers that look there
preset            the run's CycleGAN preset
image_size        side S of the faces the generators were trained on
g_conv_dim        generator width; ``g_res`` residual blocks;
                  ``kernel_size`` of its convolutions
domains           ``[a, b]``: the run's ``--domains``
directions        ``[[name, source, target, prefix], ...]``: ``['a->b', a,
                  b, 'gen_ab'], ['b->a', b, a, 'gen_ba']``
label_names       ``[a, b]``; ``attribute_groups`` ``[['domain', [a, b]]]``:
                  what ``--target`` names (the output domain)
face_margin       as in :mod:`faceapp.export`
================= ==========================================================
"""
import numpy

import chainer
from chainer import serializers

from faceapp import export
from faceapp import runs
from faceapp import snapshots
from faceapp.snapshots import UnsafeFileError
from stargan.models import cyclegan

MODEL = 'cyclegan'
_INT_KEYS = ('image_size', 'g_conv_dim', 'g_res', 'kernel_size')
#: Weight prefix of each direction, ``(source index, target index)``.
PREFIXES = {(0, 1): 'gen_ab', (1, 0): 'gen_ba'}


def config_from_options(opts):
    """The export config of a ``train.py --model cyclegan`` run.

    Args:
        opts (dict): The run's resolved options (its args.json).

    Returns:
        dict: JSON-serialisable config (see the module table).
    """
    a, b = (str(d) for d in opts['domains'])
    config = {
        'format_version': export.FORMAT_VERSION, 'model': MODEL,
        'kind': MODEL, 'preset': opts.get('preset'), 'domains': [a, b],
        'directions': directions(a, b),
        'label_names': [a, b], 'attribute_groups': [['domain', [a, b]]],
        'face_margin': runs.face_margin(opts)}
    config.update((k, int(opts.get(k, 3))) for k in _INT_KEYS)
    return config


def directions(a, b):
    """``[[name, source, target, weight prefix], ...]`` of the pair."""
    return [['{}->{}'.format(a, b), a, b, 'gen_ab'],
            ['{}->{}'.format(b, a), b, a, 'gen_ba']]


class CycleGANPair(chainer.Chain):
    """Both generators behind the StarGAN call ``gen(x, c)``: each row goes
    through the generator whose output domain ``c`` names.

    Args:
        gen_ab (~stargan.models.cyclegan.ResnetGenerator): ``a -> b``.
        gen_ba (~stargan.models.cyclegan.ResnetGenerator): ``b -> a``.
    """

    def __init__(self, gen_ab, gen_ba):
        super(CycleGANPair, self).__init__()
        with self.init_scope():
            self.gen_ab, self.gen_ba = gen_ab, gen_ba

    def __call__(self, x, c):
        """Translates each image to its target domain.

        Args:
            x: float32 ``(N, 3, S, S)`` in [-1, 1].
            c: float32 ``(N, 2)``, one-hot over ``[a, b]``: the target.

        Returns:
            ~chainer.Variable: float32 ``(N, 3, S, S)``.
        """
        xp = chainer.backend.get_array_module(x)
        # One small (N, 2) copy per batch picks the rows of each generator.
        to_b = chainer.backend.CpuDevice().send(
            chainer.as_array(c))[:, 1] > 0.5
        out = xp.empty_like(chainer.as_array(x))
        for gen, rows in ((self.gen_ab, to_b), (self.gen_ba, ~to_b)):
            if rows.any():
                index = xp.asarray(numpy.flatnonzero(rows))
                out[index] = gen(x[index]).array
        return chainer.Variable(out)


def export_pair(path, gen_ab, gen_ba, config):
    """Writes both generators and the config as one npz, atomically.

    Args:
        path (str): Destination, e.g. ``OUT/generator.npz``.
        gen_ab, gen_ba (~stargan.models.cyclegan.ResnetGenerator): The
            weights (any device).
        config (dict): From :func:`config_from_options`.

    Raises:
        UnsafeFileError: The config is bad or does not fit the weights.
    """
    check_config(config, path)
    ser = serializers.DictionarySerializer()
    ser.save(CycleGANPair(gen_ab, gen_ba))
    arrays = dict(ser.target)
    _check_weights(arrays, config, path)
    export.write_export(path, arrays, config)


def from_arrays(arrays, config, path):
    """The :class:`CycleGANPair` of an export read by
    :func:`faceapp.export.read_export`, checked against its config.

    Returns:
        tuple: ``(pair, config)`` (the pair on the CPU).

    Raises:
        UnsafeFileError: A bad config or weights that do not fit it.
    """
    check_config(config, path)
    pair = _check_weights(arrays, config, path)
    snapshots.load_arrays(arrays, pair, path)
    return pair, config


def load_exported(path):
    """Loads an export written by :func:`export_pair`; see
    :func:`from_arrays`."""
    arrays, config = export.read_export(path)
    return from_arrays(arrays, config, path)


def _build(config):
    return CycleGANPair(*(cyclegan.ResnetGenerator(
        config['g_conv_dim'], config['g_res'], config['kernel_size'])
        for _ in range(2)))


def check_config(config, path):
    """Checks a CycleGAN export config; raises UnsafeFileError naming
    ``path``."""
    def bad(why):
        return UnsafeFileError('{}: bad CycleGAN export config: {}'.format(
            path, why))
    if not isinstance(config, dict):
        raise bad('not a JSON object')
    missing = [k for k in ('format_version', 'model', 'domains',
                           'directions') + _INT_KEYS if k not in config]
    if missing:
        raise bad('missing ' + ', '.join(missing))
    if config['format_version'] != export.FORMAT_VERSION:
        raise bad('format version {!r}; this code reads version {}'.format(
            config['format_version'], export.FORMAT_VERSION))
    if config['model'] != MODEL:
        raise bad('model {!r} is not {}'.format(config['model'], MODEL))
    for k in _INT_KEYS:
        if type(config[k]) is not int or config[k] < 1:
            raise bad('{} must be a positive integer, got {!r}'.format(
                k, config[k]))
    domains = config['domains']
    if not (isinstance(domains, list) and len(domains) == 2 and all(
            isinstance(d, str) for d in domains) and domains[0] != domains[1]):
        raise bad('domains must be two different names, got {!r}'.format(
            domains))
    if config['directions'] != directions(*domains) or \
            config.get('label_names', domains) != domains:
        raise bad('directions {!r} do not follow domains {!r}'.format(
            config['directions'], domains))
    margin = config.get('face_margin', export.DEFAULT_FACE_MARGIN)
    if not isinstance(margin, (int, float)) or margin < 0:
        raise bad('face_margin must be a number >= 0, got {!r}'.format(
            margin))


def _check_weights(arrays, config, path):
    """The pair the config describes; refuses arrays that do not fit it."""
    pair = _build(config)
    ser = serializers.DictionarySerializer()
    ser.save(pair)
    want = {k: v.shape for k, v in ser.target.items()}
    names = set(arrays)
    wrong = sorted(k for k in names & set(want)
                   if arrays[k].shape != want[k]
                   or arrays[k].dtype.kind != 'f')
    if set(want) - names or names - set(want) or wrong:
        raise UnsafeFileError(
            '{}: the weights do not match the CycleGAN config (g_conv_dim '
            '{}, g_res {}, kernel_size {}): missing {}; unexpected {}; wrong '
            'shapes {}'.format(
                path, config['g_conv_dim'], config['g_res'],
                config['kernel_size'], sorted(set(want) - names)[:3] or '-',
                sorted(names - set(want))[:3] or '-', wrong[:3] or '-'))
    return pair
