"""Which computation :mod:`stargan.conv.functions`'s nodes take, layer by
layer.

The settings below (:data:`FORMULATION`, :data:`LAYOUT`,
:data:`BATCH_BELOW`, :data:`WINOGRAD_MIN_CHANNELS`) are read at every call,
so tests and ``bench.py`` switch them for a block of code; the rules
estimate each candidate's temporary buffer (or memory traffic) from the
shapes alone.
"""
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
FORMULATION = 'auto'
_FORMULATIONS = ('auto', 'im2col', 'swapped')

#: How the im2col computations multiply: ``'batch'`` makes one GEMM span all
#: samples of a chunk (channel-major columns); ``'sample'`` makes one GEMM
#: per sample (as before the batch layout existed); ``'auto'`` (default)
#: takes the batch layout when a per-sample GEMM would have fewer than
#: :data:`BATCH_BELOW` columns (output positions), the sample layout
#: otherwise: from 64x64 outputs up, per-sample GEMMs already run near the
#: BLAS peak and the batch layout only adds a transposed copy of the output.
#: The transposed convolution's col2im takes the batch layout unless
#: ``'sample'`` is set: summing phase by phase, it measured faster at every
#: size (and it works one sample a chunk where samples are large).
LAYOUT = 'auto'
BATCH_BELOW = 4096
_IM2COL = {  # layout -> (convolution, transposed convolution, filter grad)
    'batch': (conv_gemm.conv_im2col, conv_gemm.deconv_col2im,
              conv_gemm.grad_w_im2col),
    'sample': (conv_per_sample.conv_im2col, conv_per_sample.deconv_col2im,
               conv_per_sample.grad_w_im2col),
}

#: Winograd F(4x4, 3x3) computes 3x3 stride-1 convolutions with at least
#: this many input and output channels (under the ``'auto'`` formulation);
#: measured on the CPU: x1.7 at 256 channels, x1.45 at 128, a loss at 32.
WINOGRAD_MIN_CHANNELS = 128

_conv_outsize = conv_gemm.conv_outsize


def _layout():
    if LAYOUT != 'auto' and LAYOUT not in _IM2COL:
        raise ValueError(
            'conv_choice.LAYOUT must be one of {}, not {!r}'.format(
                ', '.join(sorted(_IM2COL) + ['auto']), LAYOUT))
    return LAYOUT


def im2col_functions(positions):
    """The im2col computations for a GEMM of ``positions`` columns a sample."""
    if _layout() == 'auto':
        return _IM2COL['batch' if positions < BATCH_BELOW else 'sample']
    return _IM2COL[LAYOUT]


def _formulation():
    if FORMULATION not in _FORMULATIONS:
        raise ValueError(
            'conv_choice.FORMULATION must be one of {}, not {!r}'.format(
                ', '.join(_FORMULATIONS), FORMULATION))
    return FORMULATION


def _use_shift(in_side, out_side, tie=False):
    """Whether to take the output-side computation given both buffer sizes
    (or other cost estimates); ``tie`` is the choice for equal ones."""
    mode = _formulation()
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
    oh, ow = _conv_outsize(x_shape[2:], (kh, kw), stride, pad)
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
    return (_formulation() == 'auto' and (kh, kw) == (3, 3)
            and tuple(stride) == (1, 1)
            and min(out_c, c) >= WINOGRAD_MIN_CHANNELS
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
    layout unless :data:`LAYOUT` is ``'sample'``)."""
    return _IM2COL['sample' if _layout() == 'sample' else 'batch'][1]
