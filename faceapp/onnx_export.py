"""The StarGAN generator as an ONNX file, for runtimes other than Chainer.

Written through chainer's own exporter (``onnx_chainer``, shipped with
chainer 7.8.1; it needs the ``onnx`` package, the ``onnx`` extra). The
generator's layers run on this project's own function nodes
(:mod:`stargan.conv`), which ``onnx_chainer`` does not know; this module
gives each an ONNX mapping (:data:`CONVERTERS`): ``Conv2D`` -> ``Conv``,
``Deconv2D`` -> ``ConvTranspose``, the label convolution ``LabelConv2D``
-> the label tiled over the image (``Unsqueeze``, ``Expand``),
``Concat`` and ``Conv``, i.e. the convolution it computes without the
tiling, and the fused ``InstanceNorm`` -> ``InstanceNormalization``. An
upsampling of ``--upsample resize`` is a ``ConvTranspose`` too, whose
kernel ``MatMul``, ``Transpose`` and ``Reshape`` nodes fold from the
layer's 3x3 weights (:func:`stargan.models.stargan.fold_resize_kernel`;
they depend on no input, so a runtime computes them once).

The graph:

========== ================================================================
``image``  float32 ``(N, 3, S, S)``, RGB in [-1, 1] (``pixel / 127.5 - 1``)
``label``  float32 ``(N, L)``, the target label in the order of the
           config's ``label_names``
output     ``translation``: float32 ``(N, 3, S, S)`` in [-1, 1]
========== ================================================================

N is free; S is the model's ``image_size``. The export config of
:mod:`faceapp.export` (label names, groups, face margin, weights) is kept
in the model's metadata under :data:`CONFIG_KEY`, as JSON.
"""
import json
import os
import warnings

import numpy

from datasets import atomic
from faceapp import export
from faceapp import outputs

IMAGE, LABEL, OUTPUT = 'image', 'label', 'translation'
#: Metadata key of the export config (as in the npz export).
CONFIG_KEY = export.CONFIG_KEY
#: The newest opset onnx_chainer 7.8.1 is tested with.
OPSET = 11
#: The file name ending that marks an ONNX model.
SUFFIX = '.onnx'
#: What a user without the extra is told to run.
INSTALL = 'PIP_CONSTRAINT=constraints.txt pip install -e ".[onnx]"'


class OnnxUnavailable(ValueError):
    """The ``onnx`` extra (onnx, onnxruntime) is not installed; the message
    says what to install."""


def is_onnx(path):
    """True when ``path`` names an ONNX model (by its ``.onnx`` ending)."""
    return os.fspath(path).lower().endswith(SUFFIX)


def missing(what, package):
    """The :class:`OnnxUnavailable` for ``what`` needing ``package``."""
    return OnnxUnavailable('{} needs {}, from the onnx extra: {} in the '
                           'checkout'.format(what, package, INSTALL))


def _pads(pad):
    return tuple(pad) * 2  # (begin h, begin w, end h, end w)


def _conv(params):
    """``Conv2D(x, W)`` -> ``Conv``."""
    from onnx_chainer import onnx_helper
    f = params.func
    return onnx_helper.make_node(
        'Conv', params.input_names, params.output_names,
        kernel_shape=f.inputs[1].shape[2:], pads=_pads(f.pad),
        strides=f.stride),


def _deconv(params):
    """``Deconv2D(x, W)`` -> ``ConvTranspose``; W is ``(in, out, kh, kw)``
    in both; ``output_padding`` makes up a larger ``outsize``."""
    from onnx_chainer import onnx_helper
    f = params.func
    x_hw, k = f.inputs[0].shape[2:], f.inputs[1].shape[2:]
    extra = [o - (s * (h - 1) + kk - 2 * p) for o, s, h, kk, p in
             zip(f.outsize, f.stride, x_hw, k, f.pad)]
    return onnx_helper.make_node(
        'ConvTranspose', params.input_names, params.output_names,
        kernel_shape=k, pads=_pads(f.pad), strides=f.stride,
        output_padding=extra),


def _label_conv(params):
    """``LabelConv2D(x, c, W)`` -> ``Conv(concat(x, tile(c)), W)``, the
    definition it computes: the label ``(N, L)`` becomes ``(N, L, 1, 1)``,
    expanded to ``(N, L, H, W)`` (Expand broadcasts the batch)."""
    from onnx_chainer import onnx_helper
    f = params.func
    x, c, w = params.input_names
    (h, w_), n_lab = f.inputs[0].shape[2:], f.inputs[1].shape[1]
    gb = onnx_helper.GraphBuilder()
    planes = gb.op('Unsqueeze', [c], axes=[2, 3])
    shape = params.context.add_const(
        numpy.array([1, n_lab, h, w_], numpy.int64), 'label_planes')
    tiled = gb.op('Expand', [planes, shape])
    joined = gb.op('Concat', [x, tiled], axis=1)
    gb.op('Conv', [joined, w], kernel_shape=f.inputs[2].shape[2:],
          pads=_pads(f.pad), strides=(1, 1))
    return gb.nodes(params.output_names)


def _instance_norm(params):
    """The fused ``InstanceNorm(x, gamma, beta)`` -> ONNX's
    ``InstanceNormalization``: the same per-sample, per-channel statistics
    over H and W, biased variance, ``eps`` added to it."""
    from onnx_chainer import onnx_helper
    return onnx_helper.make_node(
        'InstanceNormalization', params.input_names, params.output_names,
        epsilon=float(params.func.eps)),


#: ``onnx_chainer`` converters of the :mod:`stargan.conv` nodes, keyed by
#: their class names.
CONVERTERS = {'Conv2D': _conv, 'Deconv2D': _deconv,
              'LabelConv2D': _label_conv, 'InstanceNorm': _instance_norm}


def to_onnx(generator, config):
    """The ONNX model of a StarGAN generator.

    Args:
        generator (~stargan.models.stargan.Generator): A generator of any
            kind of :data:`stargan.generators.GENERATORS` (any device; it
            is not changed).
        config (dict): Its export config (:mod:`faceapp.export`).

    Returns:
        onnx.ModelProto: Checked by ``onnx.checker``.

    Raises:
        OnnxUnavailable: No ``onnx`` package.
    """
    try:
        import onnx
        # The module, not the package's function of the same name; it
        # imports without onnx and says so in _available.
        from onnx_chainer.export import _available, export as to_graph
    except ImportError as e:
        raise missing('writing an .onnx model', 'onnx') from e
    if not _available:
        raise missing('writing an .onnx model', 'onnx')
    gen = generator.copy(mode='copy')
    gen.to_device('@numpy')  # this project's nodes, not cuDNN's
    s, n_lab = config['image_size'], len(config['label_names'])
    # A batch of one: the shapes onnx_chainer bakes into Expand nodes then
    # broadcast to any N.
    x = numpy.zeros((1, 3, s, s), numpy.float32)
    c = numpy.zeros((1, n_lab), numpy.float32)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # "external_converters is
        # experimental", numpy.distutils and onnx.mapping deprecations
        model = to_graph(
            gen, [x, c], input_names=[IMAGE, LABEL], output_names=[OUTPUT],
            opset_version=OPSET, external_converters=CONVERTERS,
            input_shapes=[('N', 3, s, s), ('N', n_lab)])
    # Weights are initializers only, not also graph inputs, so a runtime
    # lists exactly image and label as the inputs.
    weights = {t.name for t in model.graph.initializer}
    kept = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    entry = model.metadata_props.add()
    entry.key, entry.value = CONFIG_KEY, json.dumps(config, sort_keys=True)
    model.doc_string = ('StarGAN generator: image float32 (N, 3, {0}, {0}) '
                        'RGB in [-1, 1], label float32 (N, {1}) -> '
                        'translation float32 (N, 3, {0}, {0}) in [-1, 1]'
                        .format(s, n_lab))
    onnx.checker.check_model(model)
    return model


def export_onnx(path, generator, config):
    """Writes :func:`to_onnx` to ``path``, atomically.

    Args:
        path (str): Destination ``.onnx`` file.
        generator: As in :func:`to_onnx`.
        config (dict): As in :func:`to_onnx`; checked first.

    Raises:
        OnnxUnavailable: No ``onnx`` package.
        ~faceapp.snapshots.UnsafeFileError: A bad config.
    """
    export.check_config(config, path)
    model = to_onnx(generator, config)
    with atomic.atomic_open(os.fspath(path), 'wb') as f:
        f.write(model.SerializeToString())


def export_model(model_path, path, generator, config, flag='--export-onnx'):
    """translate.py's ``--export-onnx``: the checks, then
    :func:`export_onnx`.

    Args:
        model_path (str): What ``--model`` named (for messages).
        path (str): Destination; must end in :data:`SUFFIX`.
        generator: Loaded from ``model_path``.
        config (dict): Its config.
        flag (str): The flag that named ``path``.

    Returns:
        str: The line to print.

    Raises:
        ValueError: Not a StarGAN Chainer model, a name not ending in
            .onnx, or no onnx package.
        ~faceapp.outputs.OutputError: ``path`` cannot be written.
    """
    if is_onnx(model_path):
        raise ValueError('{} writes a StarGAN generator; {} is already an '
                         'ONNX model'.format(flag, model_path))
    if config.get('model') != 'stargan':
        raise ValueError('{} writes a StarGAN generator; {} is a {}'.format(
            flag, model_path, config.get('model')))
    if not is_onnx(path):
        raise ValueError('{} {}: the name must end in {}, so that --model '
                         'knows it'.format(flag, path, SUFFIX))
    folder = os.path.dirname(os.path.abspath(path))
    outputs.check_out_dir(folder, flag)
    with outputs.write_errors(folder, flag):
        export_onnx(path, generator, config)
    return ('Wrote {} (inputs image (N, 3, {s}, {s}) and label (N, {n}), '
            'output translation (N, 3, {s}, {s}); {w} weights).'.format(
                path, s=config['image_size'], n=len(config['label_names']),
                w=config.get('weights', 'last')))
