"""The *shift* formulation of :mod:`stargan.conv.gemm`'s maps: GEMM on the
padded input first, then a shift-and-add over the kernel offsets on the
output side (numpy or CuPy arrays, no Variables). The buffers are bounded
by processing the batch in chunks, as :mod:`stargan.conv.gemm` does."""
from chainer import backend

from stargan.conv import cpu_threads
from stargan.conv import gemm


def conv_shift(x, W, stride, pad):
    """Convolution as GEMM on the padded input, then shift-and-add.

    ``Q[o, u, v] = sum_c W[o, c, u, v] * x_pad[c]`` for every kernel offset
    ``(u, v)``, then ``y[o] = sum_{u, v} Q[o, u, v][u::s, v::s]``; the
    buffer Q holds ``O * kh * kw`` values per padded input position.
    Shapes as in :func:`stargan.conv.gemm.conv_im2col`.
    """
    xp = backend.get_array_module(x)
    n, c = x.shape[:2]
    out_c, _, kh, kw = W.shape
    oh, ow = gemm.conv_outsize(x.shape[2:], (kh, kw), stride, pad)
    hn, wn = gemm.read_size((kh, kw), stride, (oh, ow))
    w_mat = W.transpose(0, 2, 3, 1).reshape(out_c * kh * kw, c)
    y = xp.empty((n, out_c, oh, ow), dtype=x.dtype)
    for s in gemm.chunks(n, w_mat.shape[0] * hn * wn, xp):
        xpad = gemm.padded(x[s], pad, (hn, wn), channel_major=True)
        q = cpu_threads.matmul(w_mat, xpad.reshape(c, -1)).reshape(
            out_c, kh, kw, xpad.shape[1], hn, wn)
        offsets = gemm.offsets((kh, kw), stride, (oh, ow))
        _, _, rows, cols = next(offsets)
        acc = q[:, 0, 0, :, rows, cols].copy()
        for u, v, rows, cols in offsets:
            acc += q[:, u, v, :, rows, cols]
        y[s] = acc.transpose(1, 0, 2, 3)
    return y


def grad_w_shift(x, gy, stride, pad, ksize):
    """Filter gradient as shifted copies of gy times the padded input.

    gy is scattered into ``kh * kw`` zero canvases of the padded input's
    size, canvas ``(u, v)`` holding ``gy`` at rows ``u + s * i`` and columns
    ``v + s * j``; then ``gW[o, c, u, v] = <canvas[o, u, v], x_pad[c]>`` is
    one GEMM over the batch and all positions. The canvases hold
    ``O * kh * kw`` values per padded input position. Shapes as in
    :func:`stargan.conv.gemm.grad_w_im2col`.
    """
    xp = backend.get_array_module(x)
    n, c = x.shape[:2]
    out_c, oh, ow = gy.shape[1:]
    kh, kw = ksize
    hn, wn = gemm.read_size(ksize, stride, (oh, ow))
    gw = xp.zeros((out_c * kh * kw, c), dtype=x.dtype)
    for s in gemm.chunks(n, out_c * kh * kw * hn * wn, xp):
        canvas = xp.zeros((out_c, kh, kw, s.stop - s.start, hn, wn),
                          dtype=x.dtype)
        gy_t = gy[s].transpose(1, 0, 2, 3)
        for u, v, rows, cols in gemm.offsets(ksize, stride, (oh, ow)):
            canvas[:, u, v, :, rows, cols] = gy_t
        xpad = gemm.padded(x[s], pad, (hn, wn), channel_major=True)
        gw += xp.matmul(canvas.reshape(gw.shape[0], -1),
                        xpad.reshape(c, -1).T)
    return xp.ascontiguousarray(
        gw.reshape(out_c, kh, kw, c).transpose(0, 3, 1, 2))
