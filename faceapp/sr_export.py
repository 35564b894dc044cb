"""The super-resolution model file ``train_sr.py`` writes and
``translate.py --upscale`` reads, and the :class:`Upscaler` it runs.

Same format as the generator export (:mod:`faceapp.export`): chainer npz
arrays of the network plus the JSON config in ``export_config``, read with
``allow_pickle=False``, written atomically.

================= ==========================================================
config key        meaning
================= ==========================================================
format_version    :data:`faceapp.export.FORMAT_VERSION`
model             ``'sr'`` (a generator reader refuses the file by it)
scale             the enlargement, 2 or 4
channels          width of the network; ``n_blocks`` its residual blocks
image_size        side of the small pictures it was trained on (it runs
                  on any size)
dataset           the faces it learnt from (``synthetic`` or a path);
                  ``seed``, ``test_fraction`` and ``n_test`` say which of
                  them were held out (``benchmarks/super_resolution.py``
                  measures on those by default)
================= ==========================================================
"""
import os

import numpy

from chainer import serializers

from datasets import image_grid
from datasets import transforms
from extensions import sr_samples
from faceapp import export
from faceapp import snapshots
from faceapp.snapshots import UnsafeFileError
from stargan.models import sr

MODEL = 'sr'
#: Name ``train_sr.py`` gives the model file in its out dir.
EXPORT_NAME = 'upscaler.npz'
_INT_KEYS = ('scale', 'channels', 'n_blocks', 'image_size')


def config_from_options(opts):
    """The model file's config for a ``train_sr.py`` run's resolved options
    (see the module table)."""
    config = {'format_version': export.FORMAT_VERSION, 'model': MODEL,
              'dataset': opts['dataset'] or 'synthetic',
              'test_fraction': float(opts['test_fraction'])}
    config.update((k, int(opts[k])) for k in _INT_KEYS + ('seed', 'n_test'))
    return config


def build(config):
    """The untrained network a config describes."""
    return sr.SuperResolution(config['scale'], config['channels'],
                              config['n_blocks'])


def export_net(path, net, config):
    """Writes the network and its config as one npz, atomically.

    Args:
        path (str): Destination, e.g. ``OUT/upscaler.npz``.
        net (~stargan.models.sr.SuperResolution): The weights (any device).
        config (dict): From :func:`config_from_options`.
    """
    ser = serializers.DictionarySerializer()
    ser.save(net)
    export.write_export(path, dict(ser.target), config)


def check_config(config, path):
    """Raises UnsafeFileError naming ``path`` for a config that is not a
    super-resolution model's."""
    if not isinstance(config, dict) or config.get('model') != MODEL:
        what = config.get('model') if isinstance(config, dict) else None
        raise UnsafeFileError(
            '{} is {}, not a super-resolution model; pass the {} that '
            'train_sr.py wrote'.format(
                path, 'a {} generator'.format(what) if what else
                'not a model file of this project', EXPORT_NAME))
    bad = [k for k in _INT_KEYS
           if type(config.get(k)) is not int or config[k] < 1]
    if bad or config['scale'] not in sr.SCALES or \
            config.get('format_version') != export.FORMAT_VERSION:
        raise UnsafeFileError(
            '{}: bad super-resolution config (format_version {!r}, scale '
            '{!r} of {}, positive integers needed for {}); write it again '
            'with train_sr.py'.format(
                path, config.get('format_version'), config.get('scale'),
                sr.SCALES, ', '.join(bad or _INT_KEYS)))


def load(path):
    """Loads a model file written by :func:`export_net`.

    Args:
        path (str): The npz file, or a ``train_sr.py`` out dir holding
            :data:`EXPORT_NAME`.

    Returns:
        tuple: ``(net, config)``: the CPU network and the config dict.

    Raises:
        UnsafeFileError: Missing, not an npz, pickled arrays, not a
            super-resolution model, or weights that do not fit its config;
            the message names the file.
    """
    if os.path.isdir(path):
        path = os.path.join(path, EXPORT_NAME)
    if not export.is_export(path):
        snapshots.read_arrays(path)  # says why, for a missing or bad file
        check_config(None, path)
    arrays, config = export.read_export(path)
    check_config(config, path)
    net = build(config)
    want = {name.lstrip('/'): p.shape for name, p in net.namedparams()}
    have = {k: v.shape for k, v in arrays.items()}
    if want != have:
        wrong = sorted(set(want) ^ set(have)) + sorted(
            k for k in set(want) & set(have) if want[k] != have[k])
        raise UnsafeFileError(
            '{}: the weights do not fit its config (scale {}, channels {}, '
            'n_blocks {}): {} differ, e.g. {}'.format(
                path, config['scale'], config['channels'],
                config['n_blocks'], len(wrong), ', '.join(wrong[:3])))
    snapshots.load_arrays(arrays, net, path)
    return net, config


def open_upscaler(path, device, batch_size=16, flag='--upscale'):
    """:func:`load` as an :class:`Upscaler` on ``device``; errors start
    with ``flag``.

    Raises:
        ValueError: The file cannot be used; one line naming it.
    """
    try:
        net = load(path)[0]
    except UnsafeFileError as e:
        raise ValueError('{}: {}'.format(flag, e)) from e
    return Upscaler(net, device, batch_size)


class Upscaler(object):
    """Enlarges translated faces whose place in the picture is larger than
    the model's output, before they are resized to it.

    Args:
        net (~stargan.models.sr.SuperResolution): The network.
        device (chainer.backend.Device): Where to run it.
        batch_size (int): Faces per forward pass.
    """

    def __init__(self, net, device, batch_size=16):
        self.net, self.device = net, device
        self.batch_size = max(1, int(batch_size))
        self.scale = net.scale
        net.to_device(device)

    def __call__(self, patches, sides):
        """Enlarges the patches that will cover more pixels than they have.

        Args:
            patches (numpy.ndarray): uint8 ``(N, S, S, 3)``.
            sides (sequence of int): Side of each patch's place, N values.

        Returns:
            list of numpy.ndarray: uint8 patches, ``(fS, fS, 3)`` where the
            side is above S, the patch itself elsewhere.
        """
        out = list(patches)
        need = [k for k, side in enumerate(sides)
                if side > patches.shape[1]]
        if need:
            low = numpy.stack([transforms.to_chw_float(patches[k])
                               for k in need])
            high = image_grid.to_uint8(sr_samples.enlarge(
                self.net, low, self.device, self.batch_size))
            for k, im in zip(need, high):
                out[k] = im
        return out
