"""Which computation :mod:`stargan.conv.functions`'s nodes take, layer by
layer.

The rules estimate each candidate's temporary buffer (or memory traffic)
from the shapes alone. Their settings (the formulation, the im2col layout,
:data:`DEFAULT_BATCH_BELOW`, :data:`DEFAULT_WINOGRAD_MIN_CHANNELS`, and
which instance normalisation :mod:`stargan.conv.links` runs) are read at
every call and changed only for a block of code, by :func:`settings`
(``bench.py``'s formulations, tests); outside one the ``DEFAULT_*`` values
hold. They are ``chainer.config`` entries, so a block's settings hold on
the thread that entered it only: the prefetch thread convolves nothing,
and the pool threads of :mod:`stargan.conv.cpu_threads` only run blocks
of a computation chosen here on the calling thread.
"""
import contextlib

import chainer

from stargan.conv import gemm as conv_gemm
from stargan.conv import per_sample as conv_per_sample


#: Which computation the nodes use: ``'auto'`` picks per call the one with the
#: smaller temporary buffer; ``'im2col'`` is the fixed choice
#: stargan.conv.functions made before (im2col for the convolution and the
#: filter gradient, GEMM then col2im for the transposed convolution), kept
#: for comparisons
#: (``bench.py --compare-conv``); ``'swapped'`` forces the other computation
#: wherever one exists (the transposed convolution has one only at stride 1),
#: for tests.
DEFAULT_FORMULATION = 'auto'

#: How the im2col computations multiply: ``'batch'`` makes one GEMM span all
#: samples of a chunk (channel-major columns); ``'sample'`` makes one GEMM
#: per sample (as before the batch layout existed); ``'auto'`` (default)
#: takes the batch layout when a per-sample GEMM would have fewer than
#: ``batch_below`` columns (output positions), the sample layout
#: otherwise: from 64x64 outputs up, per-sample GEMMs already run near the
#: BLAS peak and the batch layout only adds a transposed copy of the output.
#: The transposed convolution's col2im takes the batch layout unless
#: ``'sample'`` is set: summing phase by phase, it measured faster at every
#: size (and it works one sample a chunk where samples are large).
DEFAULT_LAYOUT = 'auto'
DEFAULT_BATCH_BELOW = 4096
_IM2COL = {  # layout -> (convolution, transposed convolution, filter grad)
    'batch': (conv_gemm.conv_im2col, conv_gemm.deconv_col2im,
              conv_gemm.grad_w_im2col),
    'sample': (conv_per_sample.conv_im2col, conv_per_sample.deconv_col2im,
               conv_per_sample.grad_w_im2col),
}

#: Winograd F(4x4, 3x3) computes 3x3 stride-1 convolutions with at least
#: this many input and output channels (under the ``'auto'`` formulation);
#: measured on the CPU: x1.7 at 256 channels, x1.45 at 128, a loss at 32.
DEFAULT_WINOGRAD_MIN_CHANNELS = 128

#: ``'fused'``: :func:`stargan.conv.links.instance_normalization` runs the
#: fused node; ``'composite'``: the chain of chainer functions used before,
#: kept for comparisons (``bench.py --formulation im2col``).
DEFAULT_INSTANCE_NORM = 'fused'

#: setting -> (chainer.config key, default, allowed values or None for a
#: count >= 0).
_SETTINGS = {
    'formulation': ('stargan_conv_formulation', DEFAULT_FORMULATION,
                    ('auto', 'im2col', 'swapped')),
    'layout': ('stargan_conv_layout', DEFAULT_LAYOUT,
               ('auto', 'batch', 'sample')),
    'batch_below': ('stargan_conv_batch_below', DEFAULT_BATCH_BELOW, None),
    'winograd_min_channels': ('stargan_conv_winograd_min_channels',
                              DEFAULT_WINOGRAD_MIN_CHANNELS, None),
    'instance_norm': ('stargan_instance_norm', DEFAULT_INSTANCE_NORM,
                      ('fused', 'composite')),
}

def _checked(name, value):
    allowed = _SETTINGS[name][2]
    if allowed is None:
        if isinstance(value, bool) or not isinstance(value, int) \
                or value < 0:
            raise ValueError('the conv setting {} must be an int >= 0, not '
                             '{!r}'.format(name, value))
    elif value not in allowed:
        raise ValueError('the conv setting {} must be one of {}, not '
                         '{!r}'.format(name, ', '.join(allowed), value))
    return value


def setting(name):
    """The value of one setting here now: the innermost :func:`settings`
    block's on this thread, else its default.

    Args:
        name (str): ``'formulation'``, ``'layout'``, ``'batch_below'``,
            ``'winograd_min_channels'`` or ``'instance_norm'``.

    Returns:
        str or int: The value.
    """
    key, default, _ = _SETTINGS[name]
    return _checked(name, getattr(chainer.config, key, default))


@contextlib.contextmanager
def settings(formulation=None, layout=None, batch_below=None,
             winograd_min_channels=None, instance_norm=None):
    """Context in which the convolutions (and instance normalisations)
    compute with the settings given; None leaves one as it is. Nests;
    holds on the calling thread only (``chainer.using_config``).

    Args:
        formulation (str): ``'auto'``, ``'im2col'`` or ``'swapped'``
            (see :data:`DEFAULT_FORMULATION`).
        layout (str): ``'auto'``, ``'batch'`` or ``'sample'`` (see
            :data:`DEFAULT_LAYOUT`).
        batch_below (int): Under the ``'auto'`` layout, GEMMs of fewer
            columns a sample than this take the batch layout.
        winograd_min_channels (int): Fewest input and output channels of
            a Winograd convolution.
        instance_norm (str): ``'fused'`` or ``'composite'`` (see
            :data:`DEFAULT_INSTANCE_NORM`).

    Raises:
        ValueError: A value out of its range (before anything is set).
    """
    given = {'formulation': formulation, 'layout': layout,
             'batch_below': batch_below,
             'winograd_min_channels': winograd_min_channels,
             'instance_norm': instance_norm}
    given = {name: _checked(name, value) for name, value in given.items()
             if value is not None}
    with contextlib.ExitStack() as stack:
        for name, value in given.items():
            stack.enter_context(
                chainer.using_config(_SETTINGS[name][0], value))
        yield


def im2col_functions(positions):
    """The im2col computations for a GEMM of ``positions`` columns a sample."""
    layout = setting('layout')
    if layout == 'auto':
        layout = 'batch' if positions < setting('batch_below') else 'sample'
    return _IM2COL[layout]


def _use_shift(in_side, out_side, tie=False):
    """Whether to take the output-side computation given both buffer sizes
    (or other cost estimates); ``tie`` is the choice for equal ones."""
    mode = setting('formulation')
    if mode == 'auto':
        return out_side < in_side or (tie and out_side == in_side)
    return mode == 'swapped'


def conv_uses_shift(x_shape, w_shape, stride, pad):
    """Whether :class:`Conv2D` takes the GEMM-then-shift-and-add path.

    Args:
        x_shape (tuple): ``(N, C, H, W)``.
        w_shape (tuple): ``(O, C, kh, kw)``.
        stride (pair of ints): Stride.
        pad (pair of ints): Padding.

    Returns:
        bool: True for the output-side computation, False for im2col.
    """
    out_c, c, kh, kw = w_shape
    oh, ow = conv_gemm.conv_outsize(x_shape[2:], (kh, kw), stride, pad)
    rows, cols = conv_gemm.read_size((kh, kw), stride, (oh, ow))
    padded = rows * cols
    return _use_shift(c * kh * kw * oh * ow, out_c * kh * kw * padded)


def conv_uses_winograd(x_shape, w_shape, stride):
    """Whether :class:`Conv2D` (and :class:`Conv2DGradW`, for the filter
    ``w_shape``) computes by Winograd's F(4x4, 3x3).

    Only for 3x3 stride-1 filters with many channels, and enough output
    positions over the batch to pay for transforming the filter (36 values
    per channel pair); not for the discriminator's 2x2 maps.

    Args:
        x_shape (tuple): ``(N, C, H, W)``.
        w_shape (tuple): ``(O, C, kh, kw)``.
        stride (pair of ints): Stride.

    Returns:
        bool: True for Winograd.
    """
    out_c, c, kh, kw = w_shape
    return (setting('formulation') == 'auto' and (kh, kw) == (3, 3)
            and tuple(stride) == (1, 1)
            and min(out_c, c) >= setting('winograd_min_channels')
            and x_shape[0] * x_shape[2] * x_shape[3] >= max(out_c, c))


def deconv_uses_im2col(x_shape, w_shape, stride, pad, outsize):
    """Whether :class:`Deconv2D` convolves its input instead of using col2im.

    Only at stride 1; other strides would need a dilated input.

    Args:
        x_shape (tuple): ``(N, I, h, w)``.
        w_shape (tuple): ``(I, O, kh, kw)``.
        stride (pair of ints): Stride.
        pad (pair of ints): Padding.
        outsize (pair of ints): Output ``(H, W)``.

    Returns:
        bool: True for im2col on the input, False for GEMM then col2im.
    """
    in_c, out_c, kh, kw = w_shape
    h, w = x_shape[2:]
    if tuple(stride) != (1, 1) or tuple(outsize) != (
            h + kh - 1 - 2 * pad[0], w + kw - 1 - 2 * pad[1]):
        return False
    # On a tie (the residual blocks) im2col measured ~8% faster than the
    # scatter-add of col2im.
    return _use_shift(out_c * kh * kw * h * w,
                      in_c * kh * kw * outsize[0] * outsize[1], tie=True)


def grad_w_uses_shift(x_shape, gy_shape, stride, pad, ksize):
    """Whether :class:`Conv2DGradW` scatters gy instead of using im2col.

    Args:
        x_shape (tuple): ``(N, C, H, W)``.
        gy_shape (tuple): ``(N, O, oh, ow)``.
        stride (pair of ints): Stride.
        pad (pair of ints): Padding.
        ksize (pair of ints): ``(kh, kw)``.

    Returns:
        bool: True for the output-side computation, False for im2col.
    """
    out_c, oh, ow = gy_shape[1:]
    kh, kw = ksize
    rows, cols = conv_gemm.read_size((kh, kw), stride, (oh, ow))
    padded = rows * cols
    return _use_shift(x_shape[1] * kh * kw * oh * ow,
                      out_c * kh * kw * padded)


def deconv_function():
    """The col2im computation of the transposed convolution (its batch
    layout unless the layout is ``'sample'``)."""
    return _IM2COL['sample' if setting('layout') == 'sample' else 'batch'][1]
