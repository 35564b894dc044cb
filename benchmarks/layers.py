"""Per-layer timing of the convolution nodes for ``bench.py --compare-conv``.

Each convolution layer of a preset's generator or discriminator is timed
as its three nodes (forward, input gradient, filter gradient) under two
layer formulations of :func:`benchmarks.step_times.use_formulation`,
interleaved.
"""
import numpy

import chainer

from stargan.conv import choice as conv_choice
from stargan.conv import functions as conv
from stargan.conv import gemm
from stargan import presets

#: Keys of each result row (one per layer and operation).
COMPARE_KEYS = ('layer', 'op', 'shape', 'path', 'before', 'after',
                'before_ms', 'after_ms', 'speedup')


def generator_layers(preset, n_labels):
    """The convolution layers of a preset's generator, one per shape.

    ``n_labels`` changes none of them (the first layer convolves only the
    image); it is taken for the same signature as
    :func:`discriminator_layers`.

    Returns:
        list of tuple: ``(name, kind, in_channels, out_channels, ksize,
        stride, pad, input size)``, kind ``'conv'`` or ``'deconv'``.
    """
    p = presets.get_preset(preset)
    s, d = p['image_size'], p['g_conv_dim']
    return [
        # The label's channels are not convolved (stargan.conv.label_conv).
        ('c_in', 'conv', 3, d, 7, 1, 3, s),
        ('down1', 'conv', d, 2 * d, 4, 2, 1, s),
        ('down2', 'conv', 2 * d, 4 * d, 4, 2, 1, s // 2),
        ('res (x{})'.format(2 * p['g_res']), 'conv', 4 * d, 4 * d, 3, 1, 1,
         s // 4),
        ('up1', 'deconv', 4 * d, 2 * d, 4, 2, 1, s // 4),
        ('up2', 'deconv', 2 * d, d, 4, 2, 1, s // 2),
        ('c_out', 'conv', d, 3, 7, 1, 3, s),
    ]


def discriminator_layers(preset, n_labels):
    """The convolution layers of a preset's discriminator, as
    :func:`generator_layers` lists them."""
    p = presets.get_preset(preset)
    s, d, n = p['image_size'], p['d_conv_dim'], p['d_down']
    chans = [3] + [d * 2 ** i for i in range(n)]
    rows = [('down{}'.format(i + 1), 'conv', cin, cout, 4, 2, 1, s >> i)
            for i, (cin, cout) in enumerate(zip(chans[:-1], chans[1:]))]
    k = s >> n
    return rows + [('src', 'conv', chans[-1], 1, 3, 1, 1, k),
                   ('cls', 'conv', chans[-1], n_labels, k, 1, 0, k)]


#: ``--compare-conv`` network name -> layer list function.
NETWORKS = {'generator': generator_layers,
            'discriminator': discriminator_layers}


def _rand(rng, xp, *shape):
    return xp.asarray(rng.standard_normal(shape).astype(numpy.float32))


def layer_ops(kind, cin, cout, k, stride, pad, size, batch, xp):
    """Forward, input-gradient and filter-gradient calls of one layer.

    Returns:
        dict: op name -> ``(node, inputs, swapped)``; ``swapped()`` says
        whether the node takes its output-side computation now.
    """
    rng = numpy.random.RandomState(0)
    st, pd = (stride,) * 2, (pad,) * 2
    if kind == 'conv':
        x, W = _rand(rng, xp, batch, cin, size, size), _rand(
            rng, xp, cout, cin, k, k)
        out = gemm.conv_outsize((size, size), (k, k), st, pd)
        gy = _rand(rng, xp, batch, cout, *out)
        return {
            'forward': (conv.Conv2D(stride, pad), (x, W),
                        lambda: conv_choice.conv_uses_shift(
                            x.shape, W.shape, st, pd)),
            'grad x': (conv.Deconv2D(stride, pad, (size, size)), (gy, W),
                       lambda: conv_choice.deconv_uses_im2col(
                           gy.shape, W.shape, st, pd, (size, size))),
            'grad W': (conv.Conv2DGradW(stride, pad, (k, k)), (x, gy),
                       lambda: conv_choice.grad_w_uses_shift(
                           x.shape, gy.shape, st, pd, (k, k))),
        }
    x, W = _rand(rng, xp, batch, cin, size, size), _rand(
        rng, xp, cin, cout, k, k)
    out = stride * (size - 1) + k - 2 * pad
    gy = _rand(rng, xp, batch, cout, out, out)
    return {
        'forward': (conv.Deconv2D(stride, pad, (out, out)), (x, W),
                    lambda: conv_choice.deconv_uses_im2col(
                        x.shape, W.shape, st, pd, (out, out))),
        'grad x': (conv.Conv2D(stride, pad), (gy, W),
                   lambda: conv_choice.conv_uses_shift(gy.shape, W.shape,
                                                       st, pd)),
        'grad W': (conv.Conv2DGradW(stride, pad, (k, k)), (gy, x),
                   lambda: conv_choice.grad_w_uses_shift(
                       gy.shape, x.shape, st, pd, (k, k))),
    }


def _fresh_call(node, args):
    def call():
        with chainer.no_backprop_mode():
            # A fresh node per call: a FunctionNode applies once.
            fresh = type(node).__new__(type(node))
            fresh.__dict__.update(node.__dict__)
            fresh.apply(args)
    return call


def compare_layers(layers, batch, steps, device, time_interleaved,
                   formulations):
    """Times each layer's three convolution nodes, before vs after.

    Args:
        layers (list of tuple): As :func:`generator_layers` returns.
        batch (int): Batch size.
        steps (int): Timed rounds (medians are reported).
        device: A chainer device.
        time_interleaved (callable):
            :func:`benchmarks.step_times.time_interleaved`.
        formulations (pair of str): ``(before, after)`` names for
            :func:`~benchmarks.step_times.use_formulation`.

    Returns:
        list of dict: One per layer and operation, with the keys of
        :data:`COMPARE_KEYS`; ``path`` names the computation ``after``
        took (for the ``auto`` formulation).
    """
    before, after = formulations
    results = []
    for name, kind, cin, cout, k, stride, pad, size in layers:
        ops = layer_ops(kind, cin, cout, k, stride, pad, size, batch,
                        device.xp)
        fns = {op: _fresh_call(node, args)
               for op, (node, args, _) in ops.items()}
        times = time_interleaved(fns, formulations, steps, device)
        for op, (_, _, shifted) in ops.items():
            old, new = times[before][op], times[after][op]
            results.append({
                'layer': name, 'op': op,
                'shape': '{} {}->{} k{} s{} {}px'.format(
                    kind, cin, cout, k, stride, size),
                'path': path_name(op, kind, shifted()),
                'before': before, 'after': after,
                'before_ms': 1e3 * old, 'after_ms': 1e3 * new,
                'speedup': old / new})
    return results


def path_name(op, kind, swapped):
    """The computation a layer's op runs: im2col, col2im or shift-add."""
    # A conv's input gradient is a Deconv2D, a deconv's a Conv2D; the
    # filter gradient is always Conv2DGradW.
    node = {'forward': kind, 'grad x': 'deconv' if kind == 'conv' else 'conv',
            'grad W': 'gradw'}[op]
    if not swapped:
        return 'col2im' if node == 'deconv' else 'im2col'
    return 'im2col' if node == 'deconv' else 'shift-add'
