"""What ``bench.py`` measures besides step times: the machine's GEMM peak,
the convolution work of a step, memory peaks and the data loader's rate."""
import resource
import sys
import time
import tracemalloc

import numpy

import chainer

import datasets
from datasets.iterators import order
from stargan.conv import functions as conv
from stargan.conv import gemm
from stargan.models import stargan as networks
from stargan import presets


def gemm_peak_gflops(size=2048, repeats=5):
    """Measured float32 GEMM rate of this machine's numpy BLAS.

    Args:
        size (int): Side of the square matrices.
        repeats (int): Timed products; the fastest counts.

    Returns:
        float: GFLOP/s (2 * size**3 flops per product).
    """
    rng = numpy.random.RandomState(0)
    a = rng.standard_normal((size, size)).astype(numpy.float32)
    b = rng.standard_normal((size, size)).astype(numpy.float32)
    out = numpy.empty_like(a)
    numpy.matmul(a, b, out=out)
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        numpy.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size ** 3 / best / 1e9


class ConvFlopCounter(chainer.FunctionHook):
    """Counts the multiply-adds of every convolution node applied.

    Counts this project's ``Conv2D``/``Deconv2D``/``Conv2DGradW`` and
    chainer's own (the GPU path), in backward passes too, as the useful
    work ``2 * N * O * C * kh * kw * oh * ow``, whichever formulation ran;
    ``LabelConv2D`` (stride 1) counts with C the image channels plus the
    label length.

    Attributes:
        flops (int): Floating-point operations counted so far.
    """

    name = 'ConvFlopCounter'

    def __init__(self):
        self.flops = 0

    def forward_preprocess(self, function, in_data):
        label = type(function).__name__
        if len(in_data) < 2:
            return
        a, b = in_data[0].shape, in_data[1].shape
        if label == 'LabelConv2D':
            # The generator's input convolution counts as the convolution
            # of the image and tiled label it equals (its filter's depth).
            b = in_data[2].shape
            oh, ow = gemm.conv_outsize(a[2:], b[2:], (1, 1), function.pad)
            macs = a[0] * b[0] * b[1] * b[2] * b[3] * oh * ow
        elif label in ('Conv2D', 'Convolution2DFunction'):
            # x (N, C, H, W), W (O, C, kh, kw): per output position.
            oh, ow = gemm.conv_outsize(
                a[2:], b[2:], gemm.pair(function.stride if label == 'Conv2D'
                                        else (function.sy, function.sx)),
                gemm.pair(function.pad if label == 'Conv2D'
                          else (function.ph, function.pw)))
            macs = a[0] * b[0] * b[1] * b[2] * b[3] * oh * ow
        elif label in ('Deconv2D', 'Deconvolution2DFunction'):
            # x (N, I, h, w), W (I, O, kh, kw): per input position.
            macs = a[0] * a[2] * a[3] * b[0] * b[1] * b[2] * b[3]
        elif label in ('Conv2DGradW', 'Convolution2DGradW'):
            # x (N, C, H, W), gy (N, O, oh, ow): per output position.
            ksize = (function.ksize if label == 'Conv2DGradW'
                     else (function.kh, function.kw))
            macs = a[0] * a[1] * b[1] * b[2] * b[3] * ksize[0] * ksize[1]
        else:
            return
        self.flops += 2 * macs


def peak_rss_mb():
    """This process's peak resident memory so far, in MB."""
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024 if sys.platform == 'darwin' else 1024)


def memory(device, traced_mb=None):
    """The memory fields of a ``bench.py`` result, for ``device``.

    On the CPU: the traced step peak ``traced_mb`` and the process's peak
    RSS. On a GPU neither measures the step (its arrays are not on the
    host): CuPy's memory pool instead, the bytes its arrays use now and
    the bytes it holds (the most the steps needed, since the pool keeps
    freed blocks).

    Args:
        device: A chainer device.
        traced_mb (float): :func:`traced_peak_mb` of the steps (CPU).

    Returns:
        dict: ``step_traced_peak_mb`` and ``peak_rss_mb`` (None on a GPU),
        ``pool_used_bytes`` and ``pool_total_bytes`` (None on the CPU).
    """
    if device.xp is numpy:
        return {'step_traced_peak_mb': traced_mb,
                'peak_rss_mb': peak_rss_mb(), 'pool_used_bytes': None,
                'pool_total_bytes': None}
    pool = device.xp.get_default_memory_pool()
    return {'step_traced_peak_mb': None, 'peak_rss_mb': None,
            'pool_used_bytes': int(pool.used_bytes()),
            'pool_total_bytes': int(pool.total_bytes())}


def traced_peak_mb(fn):
    """Peak of memory traced by Python (numpy arrays included) during fn."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()


def loader_images_per_s(size, batch, seconds=2.):
    """Images per second the training iterator delivers from one thread:
    synthetic faces drawn at ``size`` (about the cost of decoding and
    resizing a JPEG face crop). Training needs ``images_per_s``; with
    ``--prefetch`` the loading runs beside the step, so it never stalls
    training while this figure is the larger."""
    data = datasets.SyntheticFaceDataset(batch * 50, size, 'train', 0)
    it = order.make_iterator(data, batch, 0)
    n, start = 0, time.perf_counter()
    # One epoch at most: the dataset caches what it has drawn.
    while time.perf_counter() - start < seconds and it.epoch == 0:
        n += len(it.next())
    return n / (time.perf_counter() - start)


#: Least number of timed rounds of inference (a batch, one image).
INFER_ROUNDS = 7


def generator_and_batch(preset, batch, n_labels):
    """A preset's generator and a fixed random batch for it.

    Returns:
        tuple: ``(generator, x, c)``, x float32 ``(batch, 3, S, S)`` in
        [-1, 1], c one-hot float32 ``(batch, n_labels)``.
    """
    p = presets.get_preset(preset)
    s = p['image_size']
    rng = numpy.random.RandomState(0)
    x = rng.uniform(-1, 1, (batch, 3, s, s)).astype(numpy.float32)
    c = numpy.eye(n_labels, dtype=numpy.float32)[
        rng.randint(0, n_labels, batch)]
    return networks.Generator(n_labels, p['g_conv_dim'], p['g_res']), x, c


def inference(gen, x, c):
    """``infer(n)``: the generator on the first n images (all if None), as
    translate.py runs it (:func:`stargan.conv.functions.translating`)."""
    def infer(n=None):
        with conv.translating():
            gen(x[:n], c[:n])
    return infer
