"""The generator through onnxruntime against the Chainer CPU path
(``bench.py --onnx``): one image and a batch, timed call by call in
turn, so that load from other jobs hits both alike."""
import statistics
import time

import numpy

from benchmarks import measures
from faceapp import onnx_export
from faceapp import onnx_model
from stargan.conv import functions as conv
from stargan import presets

#: Keys of the result of :func:`compare`.
KEYS = ('preset', 'image_size', 'batch', 'chainer_ms_per_image',
        'onnx_ms_per_image', 'chainer_single_ms', 'onnx_single_ms',
        'max_abs_difference')


def _config(preset, n_labels):
    """An export config for a preset's generator with labels named
    ``label0``, ... (what :func:`faceapp.onnx_export.to_onnx` needs)."""
    p = presets.get_preset(preset)
    names = ['label{}'.format(i) for i in range(n_labels)]
    return {'format_version': 1, 'model': 'stargan', 'preset': preset,
            'image_size': p['image_size'], 'g_conv_dim': p['g_conv_dim'],
            'g_res': p['g_res'], 'label_names': names,
            'attribute_groups': [['label', names]]}


def onnx_generator(gen, config):
    """``gen`` exported and opened by onnxruntime, in memory."""
    try:
        import onnxruntime
    except ImportError as e:
        raise onnx_export.missing('bench.py --onnx', 'onnxruntime') from e
    model = onnx_export.to_onnx(gen, config)
    return onnx_model.OnnxGenerator(onnxruntime.InferenceSession(
        model.SerializeToString(), providers=['CPUExecutionProvider']))


def compare(preset, batch, n_labels, rounds):
    """Times a preset's (random) generator both ways.

    Args:
        preset (str): A key of :data:`stargan.presets.PRESETS`.
        batch (int): Images of the batched figure (16 in the README).
        n_labels (int): Label length.
        rounds (int): Timed calls of each kind (medians are reported; one
            untimed call first).

    Returns:
        dict: :data:`KEYS`: ms per image over the batch and ms for one
        image, each way, and the largest difference of the outputs.
    """
    gen, x, c = measures.generator_and_batch(preset, batch, n_labels)
    ort = onnx_generator(gen, _config(preset, n_labels))
    infer = measures.inference(gen, x, c)
    fns = {'chainer_batch': lambda: infer(batch),
           'onnx_batch': lambda: ort(x, c),
           'chainer_single': lambda: infer(1),
           'onnx_single': lambda: ort(x[:1], c[:1])}
    times = {k: [] for k in fns}
    for fn in fns.values():
        fn()  # warm-up
    for _ in range(max(1, rounds)):
        for k, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - start)
    ms = {k: 1e3 * statistics.median(v) for k, v in times.items()}
    with conv.translating():
        want = gen(x, c).array
    return {'preset': preset, 'image_size': x.shape[-1], 'batch': batch,
            'chainer_ms_per_image': ms['chainer_batch'] / batch,
            'onnx_ms_per_image': ms['onnx_batch'] / batch,
            'chainer_single_ms': ms['chainer_single'],
            'onnx_single_ms': ms['onnx_single'],
            'max_abs_difference': float(numpy.abs(
                ort(x, c).array - want).max())}
