"""Array-level computations behind :mod:`stargan.conv.functions`'s three nodes.

Every function takes and returns numpy or CuPy arrays (no Variables) and
works on either. They compute the same three maps, ``conv(x, W)``, its
transpose in x, and its filter gradient, in several ways:

* *im2col, batch layout*: the input is gathered channel-major, as
  ``(C * kh * kw, N * oh * ow)``, so **one** GEMM spans the whole chunk of
  samples. This matters for the discriminator's deep layers, whose outputs
  are 2x2 or 4x4: a GEMM per sample there has only 4-16 columns, reads the
  whole filter (134 MB for the paper's last layer) once per sample, and its
  filter gradient needs a ``(N, O, C * kh * kw)`` temporary (2 GB) to sum
  over the batch. (:mod:`stargan.conv.per_sample` has the sample layout.)
* *shift* (:mod:`stargan.conv.shift`): GEMM on the padded input first,
  then a shift-and-add over the kernel offsets on the output side.

:mod:`stargan.conv.functions` picks among them (and
:mod:`stargan.conv.winograd`). All bound their temporary buffers by
processing the batch in chunks of at most
:data:`MAX_COL_ELEMENTS` elements on the CPU (not on the GPU, see
:func:`chunks`).
"""
import numpy

from chainer import backend
from chainer.utils import conv as conv_utils

from stargan.conv import cpu_threads

#: Upper bound, in array elements, of one im2col (or shift-and-add) buffer
#: (4 Mi floats = 16 MB); larger batches are processed in chunks. A buffer
#: that fits the last-level cache is read back by the GEMM from the cache,
#: and one this small is reused by malloc instead of being mapped afresh
#: (page faults) each call. At the paper's sizes (batch 16), 4 Mi elements
#: took the generator's 128 px stride-2 convolution from 289 to 166 ms, the
#: residual blocks' from 141 to 133 ms, against 64 Mi.
MAX_COL_ELEMENTS = 4 * 1024 * 1024


def pair(v):
    """``v`` as a 2-tuple: ints are repeated, sequences converted."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def conv_outsize(hw, ksize, stride, pad):
    """Output ``(oh, ow)`` of a convolution of an input of size ``hw``."""
    return tuple(conv_utils.get_conv_outsize(s, k, st, p)
                 for s, k, st, p in zip(hw, ksize, stride, pad))


def span(stride, out_len):
    """Rows of the padded input that one kernel offset reads: ``(o-1)*s+1``."""
    return stride * (out_len - 1) + 1


def read_size(ksize, stride, out_hw):
    """Rows and columns of the padded input that a convolution reads."""
    return tuple(span(s, o) + k - 1
                 for k, s, o in zip(ksize, stride, out_hw))


def chunks(n, per_sample, xp=numpy):
    """Yields slices of the batch whose buffers fit MAX_COL_ELEMENTS, on
    the CPU (``xp`` numpy). The limit is the CPU's cache: on another device
    (CuPy) the whole batch is one slice, as a loop of chunks there would
    only add kernel launches (a 128 px batch cut into single samples)."""
    if xp is not numpy:
        yield slice(0, n)
        return
    step = max(1, MAX_COL_ELEMENTS // max(1, per_sample))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def padded(x, pad, size, channel_major=False):
    """Zero-pads (or, for a negative pad, crops) x's spatial axes.

    Args:
        x: ``(N, C, H, W)`` array.
        pad (pair of ints): Rows/columns added before the first one; negative
            values drop rows/columns instead.
        size (pair of ints): Spatial size of the result; rows/columns past
            the padded input are zeros, those beyond ``size`` are dropped.
        channel_major (bool): Return ``(C, N, Hn, Wn)`` instead of
            ``(N, C, Hn, Wn)``, so that one GEMM spans the whole batch.

    Returns:
        A new contiguous array of x's dtype.
    """
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    shape = (c, n) + tuple(size) if channel_major else (n, c) + tuple(size)
    out = xp.zeros(shape, dtype=x.dtype)
    src, dst = [], []
    for p, length, full in zip(pad, (h, w), size):
        d0, s0 = max(0, p), max(0, -p)
        m = max(0, min(full - d0, length - s0))
        src.append(slice(s0, s0 + m))
        dst.append(slice(d0, d0 + m))
    if channel_major:
        x = x.transpose(1, 0, 2, 3)
    out[:, :, dst[0], dst[1]] = x[:, :, src[0], src[1]]
    return out


def offsets(ksize, stride, out_hw):
    """``(u, v, rows, cols)`` for every kernel offset: the strided slices of
    the padded input that offset ``(u, v)`` reads."""
    sh, sw = span(stride[0], out_hw[0]), span(stride[1], out_hw[1])
    for u in range(ksize[0]):
        for v in range(ksize[1]):
            yield (u, v, slice(u, u + sh, stride[0]),
                   slice(v, v + sw, stride[1]))


def _columns(x, ksize, stride, pad, out_hw):
    """Channel-major im2col: ``(C * kh * kw, N * oh * ow)``."""
    xp = backend.get_array_module(x)
    xpad = padded(x, pad, read_size(ksize, stride, out_hw),
                  channel_major=True)
    col = xp.empty((x.shape[1],) + tuple(ksize) + (x.shape[0],)
                   + tuple(out_hw), dtype=x.dtype)
    for u, v, rows, cols in offsets(ksize, stride, out_hw):
        col[:, u, v] = xpad[:, :, rows, cols]
    return col.reshape(col.shape[0] * ksize[0] * ksize[1], -1)


def _channel_major(a):
    """``(N, C, H, W)`` -> contiguous ``(C, N * H * W)``."""
    xp = backend.get_array_module(a)
    return xp.ascontiguousarray(a.transpose(1, 0, 2, 3)).reshape(
        a.shape[1], -1)


def conv_im2col(x, W, stride, pad):
    """``conv(x, W)`` as one GEMM per chunk over channel-major columns.

    Args:
        x: ``(N, C, H, W)``.
        W: ``(O, C, kh, kw)``.
        stride, pad (pairs of ints): As in ``F.convolution_2d``.

    Returns:
        ``(N, O, oh, ow)`` array of x's dtype.
    """
    xp = backend.get_array_module(x)
    n = x.shape[0]
    out_c, _, kh, kw = W.shape
    oh, ow = conv_outsize(x.shape[2:], (kh, kw), stride, pad)
    w_mat = W.reshape(out_c, -1)
    y = xp.empty((n, out_c, oh, ow), dtype=x.dtype)
    for s in chunks(n, w_mat.shape[1] * oh * ow, xp):
        col = _columns(x[s], (kh, kw), stride, pad, (oh, ow))
        y[s] = cpu_threads.matmul(w_mat, col).reshape(
            out_c, -1, oh, ow).transpose(1, 0, 2, 3)
    return y


def deconv_col2im(x, W, stride, pad, outsize):
    """``conv^T(x, W)``: one GEMM per chunk, then col2im phase by phase.

    The GEMM gives every kernel tap's contribution ``(O, kh, kw, N, h, w)``.
    Output rows ``Y = s * m + a`` (columns likewise) only meet the taps
    ``u = a + p (mod s)``, each shifted by a whole input row, so every
    output phase is summed in a contiguous buffer from unit-stride slices
    and written into the output once; a col2im scatter-adding each tap into
    the strided output directly measured 1.2-1.4x slower. Shapes:

    Args:
        x: ``(N, I, h, w)``.
        W: ``(I, O, kh, kw)``.
        stride, pad (pairs of ints): Those of the convolution it transposes.
        outsize (pair of ints): Output ``(H, W)``.

    Returns:
        ``(N, O, H, W)`` array of x's dtype.
    """
    xp = backend.get_array_module(x)
    n, in_c, h, w = x.shape
    _, out_c, kh, kw = W.shape
    w_t = W.reshape(in_c, -1).T
    # Per axis: (phase, output rows of the phase, its taps).
    phases = [[(a, -(-(size - a) // st), _phase_taps(k, st, p, a))
               for a in range(st)]
              for size, k, st, p in zip(outsize, (kh, kw), stride, pad)]
    y = xp.empty((n, out_c) + tuple(outsize), dtype=x.dtype)
    for s in chunks(n, w_t.shape[0] * h * w, xp):
        gcol = cpu_threads.matmul(w_t, _channel_major(x[s])).reshape(
            out_c, kh, kw, s.stop - s.start, h, w)
        for a, rows, taps_u in phases[0]:
            for b, cols, taps_v in phases[1]:
                acc = _phase_sum(gcol, taps_u, taps_v, (rows, cols))
                y[s, :, a::stride[0], b::stride[1]] = acc.transpose(
                    1, 0, 2, 3)
    return y


def _phase_taps(k, s, p, a):
    """Kernel taps u that reach output rows ``Y = s * m + a`` of a transposed
    convolution, with the input row offset ``d``: row ``m`` of the phase
    adds input row ``m + d``."""
    return [(u, (a + p - u) // s) for u in range(k) if (a + p - u) % s == 0]


def _phase_sum(gcol, taps_u, taps_v, out_hw):
    """One output phase ``(O, N, rows, cols)``: the sum of the taps' shifted
    planes of ``gcol`` ``(O, kh, kw, N, h, w)``."""
    xp = backend.get_array_module(gcol)
    h, w = gcol.shape[4:]
    acc = xp.zeros(gcol.shape[:1] + gcol.shape[3:4] + tuple(out_hw),
                   dtype=gcol.dtype)
    for u, du in taps_u:
        r0, r1 = max(0, -du), min(out_hw[0], h - du)
        for v, dv in taps_v:
            c0, c1 = max(0, -dv), min(out_hw[1], w - dv)
            if r0 < r1 and c0 < c1:
                acc[:, :, r0:r1, c0:c1] += gcol[:, u, v, :, r0 + du:r1 + du,
                                                c0 + dv:c1 + dv]
    return acc


def grad_w_im2col(x, gy, stride, pad, ksize):
    """Filter gradient ``gy (O, N*oh*ow) @ columns(x)^T``, one GEMM a chunk.

    Args:
        x: ``(N, C, H, W)``.
        gy: ``(N, O, oh, ow)``.
        stride, pad, ksize (pairs of ints): The convolution's.

    Returns:
        ``(O, C, kh, kw)`` array of x's dtype.
    """
    xp = backend.get_array_module(x)
    n = x.shape[0]
    out_c, oh, ow = gy.shape[1:]
    gw = None
    for s in chunks(n, x.shape[1] * ksize[0] * ksize[1] * oh * ow, xp):
        col = _columns(x[s], ksize, stride, pad, (oh, ow))
        part = xp.matmul(_channel_major(gy[s]), col.T)
        if gw is None:
            gw = part
        else:
            gw += part
    return gw.reshape(out_c, x.shape[1], *ksize)


def deconv_by_conv(x, W, pad, outsize, conv_fn=conv_im2col):
    """Stride-1 transposed convolution as a convolution of the input.

    At stride 1, ``conv^T(x, W)`` is the convolution of x, padded by
    ``k - 1 - pad``, with W flipped in space and its channel axes swapped;
    its im2col buffer holds ``I * kh * kw`` values per output position.
    Shapes as in :func:`deconv_col2im`; ``conv_fn(x, W, stride, pad)``
    computes the convolution (e.g. :func:`conv_im2col`).
    """
    kh, kw = W.shape[2:]
    w_flip = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    w_flip = backend.get_array_module(W).ascontiguousarray(w_flip)
    q = (kh - 1 - pad[0], kw - 1 - pad[1])
    size = (outsize[0] + kh - 1, outsize[1] + kw - 1)
    # The padded copy is as small as x; conv_fn chunks the big buffer.
    return conv_fn(padded(x, q, size), w_flip, (1, 1), (0, 0))
