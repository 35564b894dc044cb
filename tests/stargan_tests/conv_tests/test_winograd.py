import numpy as np
import pytest

import chainer
import chainer.functions as F

from stargan.conv import choice as conv_choice
from stargan.conv import cpu_threads
from stargan.conv import gemm as conv_gemm
from stargan.conv import winograd


def _rand(rng, *shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize('hw, p', [((7, 9), 1), ((8, 8), 1), ((5, 5), 0),
                                   ((6, 3), 2), ((1, 1), 1), ((4, 13), 1)])
def test_winograd_matches_chainer(hw, p):
    # Output sizes that are and are not multiples of the 4x4 tile.
    rng = np.random.default_rng(3)
    x, W = _rand(rng, 3, 5, *hw), _rand(rng, 4, 5, 3, 3)
    ref = F.convolution_2d(x, W, None, 1, p).array
    got = winograd.conv(x, W, (p, p))
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('c, o', [(5, 4), (2, 3), (1, 1)])
def test_winograd_by_channel_blocks_matches_chainer(two_threads, c, o):
    # Inside cpu_threads.splitting the input and output transforms run by
    # blocks of channels on two threads, the 36 products by blocks of 18.
    rng = np.random.default_rng(5)
    x, W = _rand(rng, 2, c, 7, 9), _rand(rng, o, c, 3, 3)
    with cpu_threads.splitting():
        got = winograd.conv(x, W, (1, 1))
    ref = F.convolution_2d(x, W, None, 1, 1).array
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    assert two_threads.count(2) >= (2 if c > 1 and o > 1 else 1)


def _float32_error_bound(x, W, pad, monkeypatch):
    """A bound on the float32 rounding error of each output of winograd.conv.

    Every value the algorithm forms is a sum of products of input values,
    filter values and transform coefficients; running it in float64 on |x|
    and |W| with the transform matrices' absolute values gives, per output,
    the sum S of the absolute values of all those terms. A sum of products
    accumulated over at most k steps (here: the 36-term input and output
    transforms, the 9-term filter transform, the channel sum, the product
    and the rounded coefficients) is off by at most gamma_k * S, with
    gamma_k = k u / (1 - k u) and u float32's unit roundoff (Higham,
    "Accuracy and Stability of Numerical Algorithms", 3.1), whatever order
    the BLAS sums in.
    """
    with monkeypatch.context() as m:
        for name in ('_WINO_BT', '_WINO_G', '_WINO_AT'):
            m.setattr(winograd, name, np.abs(getattr(winograd, name)))
        terms = winograd.conv(np.abs(x.astype(np.float64)),
                              np.abs(W.astype(np.float64)), pad)
    k = 36 + 9 + x.shape[1] + 1 + 36 + 3
    u = np.finfo(np.float32).eps / 2
    return k * u / (1 - k * u) * terms


def test_winograd_float32_error_is_bounded_and_chunks_agree(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 32, 12, 12)).astype(np.float32)
    W = (rng.standard_normal((32, 32, 3, 3)) * 0.05).astype(np.float32)
    ref = F.convolution_2d(x.astype(np.float64), W.astype(np.float64), None,
                           1, 1).array
    bound = _float32_error_bound(x, W, (1, 1), monkeypatch)
    # The bound is for the worst case: far above the ~1e-5 of ref's scale
    # seen, yet far below what a wrong or missing term would cost.
    assert bound.max() < 1e-2 * np.abs(ref).max()
    got = winograd.conv(x, W, (1, 1))
    assert got.dtype == np.float32
    assert np.all(np.abs(got - ref) <= bound)
    monkeypatch.setattr(conv_gemm, 'MAX_COL_ELEMENTS', 1)  # a chunk a sample
    chunked = winograd.conv(x, W, (1, 1))
    # Each within the bound of the exact result, so within twice of another.
    assert np.all(np.abs(chunked - ref) <= bound)
    assert np.all(np.abs(chunked - got) <= 2 * bound)


@pytest.mark.parametrize('hw, p', [((7, 9), 1), ((8, 8), 1), ((5, 5), 0),
                                   ((6, 3), 2), ((1, 1), 1)])
def test_winograd_filter_gradient_matches_chainer(hw, p, monkeypatch):
    rng = np.random.default_rng(5)
    x, W = _rand(rng, 3, 5, *hw), _rand(rng, 4, 5, 3, 3)
    gy = _rand(rng, *F.convolution_2d(x, W, None, 1, p).shape)
    Wv = chainer.Variable(W)
    F.sum(F.convolution_2d(x, Wv, None, 1, p) * gy).backward()
    got = winograd.grad_w(x, gy, (p, p))
    np.testing.assert_allclose(got, Wv.grad, rtol=1e-10, atol=1e-10)
    monkeypatch.setattr(conv_gemm, 'MAX_COL_ELEMENTS', 1)  # a chunk a sample
    np.testing.assert_allclose(winograd.grad_w(x, gy, (p, p)),
                               got, rtol=1e-10, atol=1e-10)


def test_kept_filter_transform_follows_in_place_updates():
    rng = np.random.default_rng(6)
    W = _rand(rng, 4, 5, 3, 3)
    first = winograd.transformed_filter(W, reuse=True)
    assert winograd.transformed_filter(W, reuse=True) is first
    W[1, 2, 0, 1] += 0.5  # an optimizer's in-place update
    again = winograd.transformed_filter(W, reuse=True)
    assert again is not first
    np.testing.assert_allclose(again, winograd.transformed_filter(W),
                               rtol=1e-12, atol=1e-12)
    # Without reuse nothing is kept or given back.
    assert winograd.transformed_filter(W) is not again


def test_kept_filter_transform_goes_with_its_filter():
    W = np.ones((2, 2, 3, 3))
    winograd.transformed_filter(W, reuse=True)
    key = id(W)
    assert key in winograd._KEPT
    del W
    assert key not in winograd._KEPT


def test_inference_convolution_sees_updated_parameters():
    # The paper's residual block shape takes Winograd; updating W in place
    # between no-backprop calls must change the result.
    from stargan.conv import functions as conv
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 128, 16, 16)).astype(np.float32)
    W = chainer.Parameter(
        (rng.standard_normal((128, 128, 3, 3)) * 0.05).astype(np.float32))
    assert conv_choice.conv_uses_winograd(x.shape, W.shape, (1, 1))
    with chainer.no_backprop_mode(), conv.keep_filter_transforms():
        conv.convolution_2d(x, W, None, 1, 1)
        assert id(W.array) in winograd._KEPT
        W.array *= -1
        got = conv.convolution_2d(x, W, None, 1, 1).array
    ref = F.convolution_2d(x, W.array, None, 1, 1).array
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_filter_transforms_are_kept_only_when_asked():
    # Training's no-backprop passes (D's step making fakes, sample grids)
    # see filters that change every step: keeping them would hold memory.
    from stargan.conv import functions as conv
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 128, 16, 16)).astype(np.float32)
    W = rng.standard_normal((128, 128, 3, 3)).astype(np.float32)
    with chainer.no_backprop_mode(), chainer.using_config('train', False):
        conv.convolution_2d(x, W, None, 1, 1)
    assert id(W) not in winograd._KEPT
    with conv.keep_filter_transforms():  # but with backprop: not kept
        conv.convolution_2d(x, W, None, 1, 1)
    assert id(W) not in winograd._KEPT
