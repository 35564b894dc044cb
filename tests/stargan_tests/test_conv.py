import numpy as np
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check

from stargan import conv

CASES = [  # (in_hw, ksize, stride, pad)
    ((8, 8), 3, 1, 1),
    ((8, 8), 4, 2, 1),
    ((9, 7), 4, 2, 1),
    ((7, 7), 7, 1, 3),
    ((5, 6), 2, 1, 0),
]


def _rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float64)


@pytest.mark.parametrize('hw, k, s, p', CASES)
def test_convolution_forward_and_backward_match_chainer(hw, k, s, p):
    rng = np.random.default_rng(0)
    x, W, b = _rand(rng, 2, 3, *hw), _rand(rng, 4, 3, k, k), _rand(rng, 4)
    xs, Ws, bs = (chainer.Variable(a.copy()) for a in (x, W, b))
    xo, Wo, bo = (chainer.Variable(a.copy()) for a in (x, W, b))
    ys = F.convolution_2d(xs, Ws, bs, s, p)
    yo = conv.convolution_2d(xo, Wo, bo, s, p)
    np.testing.assert_allclose(yo.array, ys.array, rtol=1e-10, atol=1e-10)
    gy = _rand(rng, *ys.shape)
    F.sum(ys * gy).backward()
    F.sum(yo * gy).backward()
    for ours, stock in ((xo, xs), (Wo, Ws), (bo, bs)):
        np.testing.assert_allclose(ours.grad, stock.grad, rtol=1e-9,
                                   atol=1e-9)


@pytest.mark.parametrize('hw, k, s, p', CASES)
def test_deconvolution_forward_matches_chainer(hw, k, s, p):
    rng = np.random.default_rng(1)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 3, 5, k, k)
    ys = F.deconvolution_2d(x, W, None, s, p)
    yo = conv.deconvolution_2d(x, W, None, s, p)
    np.testing.assert_allclose(yo.array, ys.array, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('hw, k, s, p', CASES)
def test_nodes_check_backward_and_double_backward(hw, k, s, p):
    rng = np.random.default_rng(2)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 4, 3, k, k)
    y = conv.convolution_2d(x, W, None, s, p).array
    gy, ggx, ggW = _rand(rng, *y.shape), _rand(rng, *x.shape), \
        _rand(rng, *W.shape)

    def f(x, W):
        return conv.convolution_2d(x, W, None, s, p)

    gradient_check.check_backward(f, (x, W), gy, dtype=np.float64)
    gradient_check.check_double_backward(f, (x, W), gy, (ggx, ggW),
                                         dtype=np.float64)

    def g(y, W):  # the transposed convolution back to x's size
        return conv.deconvolution_2d(y, W, None, s, p, outsize=hw)

    ggy = _rand(rng, *y.shape)
    gradient_check.check_backward(g, (y, W), ggx, dtype=np.float64)
    gradient_check.check_double_backward(g, (y, W), ggx, (ggy, ggW),
                                         dtype=np.float64)

    def h(x, gy):
        return conv.Conv2DGradW(s, p, (k, k)).apply((x, gy))

    gradient_check.check_backward(h, (x, gy), ggW, dtype=np.float64)
    gradient_check.check_double_backward(h, (x, gy), ggW, (ggx, ggy),
                                         dtype=np.float64)


def _three_outputs(x, W):
    y = conv.convolution_2d(x, W, None, 2, 1).array
    back = conv.deconvolution_2d(y, W, None, 2, 1, outsize=x.shape[2:]).array
    gw = conv.Conv2DGradW(2, 1, W.shape[2:]).apply((x, y))[0].array
    return y, back, gw


def test_chunked_batch_equals_whole_batch(monkeypatch):
    rng = np.random.default_rng(3)
    x, W = _rand(rng, 5, 3, 8, 8), _rand(rng, 4, 3, 4, 4)
    whole = _three_outputs(x, W)
    monkeypatch.setattr(conv, 'MAX_COL_ELEMENTS', 1)  # one sample a chunk
    for chunked, ref in zip(_three_outputs(x, W), whole):
        np.testing.assert_allclose(chunked, ref, rtol=1e-10)


def _gradient_penalty_through(conv_fn, xp=np):
    rng = np.random.default_rng(4)

    def param(*shape):
        return chainer.Variable(xp.asarray(
            rng.standard_normal(shape).astype('f')))

    x, W1, W2 = param(2, 3, 8, 8), param(4, 3, 4, 4), param(1, 4, 3, 3)
    y = conv_fn(F.leaky_relu(conv_fn(x, W1, None, 2, 1)), W2, None, 1, 1)
    gx, = chainer.grad([F.sum(y)], [x], enable_double_backprop=True)
    F.sum(gx * gx).backward()
    return W1.grad


def test_stock_chainer_fails_where_ours_works():
    # Documents the chainer 7.8.1 bug this module works around; if a future
    # chainer fixes it, both paths must agree instead.
    ours = _gradient_penalty_through(conv.convolution_2d)
    assert np.all(np.isfinite(ours)) and np.abs(ours).sum() > 0
    try:
        stock = _gradient_penalty_through(F.convolution_2d)
    except ValueError as e:
        assert 'unpack' in str(e)
    else:
        np.testing.assert_allclose(ours, stock, rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
@pytest.mark.parametrize('hw, k, s, p', CASES)
def test_own_path_on_gpu_matches_cudnn_with_double_backprop(hw, k, s, p):
    import cupy
    rng = np.random.default_rng(5)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 4, 3, k, k)
    xg, Wg = cupy.asarray(x), cupy.asarray(W)
    ours = conv.convolution_2d(xg, Wg, None, s, p, use_stock=False)
    stock = conv.convolution_2d(xg, Wg, None, s, p, use_stock=True)
    cupy.testing.assert_allclose(ours.array, stock.array, rtol=1e-8)
    gy = cupy.asarray(_rand(rng, *ours.shape))

    def f(x, W):
        return conv.convolution_2d(x, W, None, s, p, use_stock=False)

    gradient_check.check_double_backward(
        f, (xg, Wg), gy, (cupy.asarray(_rand(rng, *x.shape)),
                          cupy.asarray(_rand(rng, *W.shape))),
        dtype=np.float64)
    # The stock path is what runs by default on GPU: the penalty must work.
    critic = _gradient_penalty_through(
        lambda *a: conv.convolution_2d(*a, use_stock=True), xp=cupy)
    assert bool(cupy.isfinite(critic).all())
