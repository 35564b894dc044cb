import itertools

import numpy as np
import pytest

import chainer
import chainer.functions as F

from stargan import conv_gemm


def _rand(rng, *shape):
    return rng.standard_normal(shape)


PHASE_CASES = [  # (in_hw, ksize, stride, pad)
    (hw, k, s, p)
    for hw, k, s, p in itertools.product(
        [(5, 6), (4, 4), (7, 3)], [1, 2, 3, 4, 5], [2, 3], [0, 1, 2])
    if p < k]


@pytest.mark.parametrize('hw, k, s, p', PHASE_CASES)
def test_deconv_phases_match_chainer(hw, k, s, p):
    # Includes kernels smaller than the stride, whose phases get no tap.
    rng = np.random.default_rng(0)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 3, 4, k, k)
    ref = F.deconvolution_2d(x, W, None, s, p).array
    got = conv_gemm.deconv_phases(x, W, (s, s), (p, p), ref.shape[2:])
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_deconv_phases_larger_outsize_and_chunks(monkeypatch):
    # outsize one row/column past the default (a cover_all convolution's
    # input), and one sample a chunk.
    rng = np.random.default_rng(1)
    x, W = _rand(rng, 3, 2, 4, 5), _rand(rng, 2, 3, 4, 4)
    out = (2 * 3 + 4 - 2 + 1, 2 * 4 + 4 - 2 + 1)
    ref = F.deconvolution_2d(x, W, None, 2, 1, outsize=out).array
    monkeypatch.setattr(conv_gemm, 'MAX_COL_ELEMENTS', 1)
    got = conv_gemm.deconv_phases(x, W, (2, 2), (1, 1), out)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('fn', ['conv_im2col', 'conv_im2col_per_sample'])
def test_convolutions_match_chainer_with_uneven_stride_and_pad(fn):
    rng = np.random.default_rng(2)
    x, W = _rand(rng, 3, 4, 9, 7), _rand(rng, 5, 4, 3, 2)
    ref = F.convolution_2d(x, W, None, (2, 1), (1, 0)).array
    got = getattr(conv_gemm, fn)(x, W, (2, 1), (1, 0))
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('hw, p', [((7, 9), 1), ((8, 8), 1), ((5, 5), 0),
                                   ((6, 3), 2), ((1, 1), 1), ((4, 13), 1)])
def test_winograd_matches_chainer(hw, p):
    # Output sizes that are and are not multiples of the 4x4 tile.
    rng = np.random.default_rng(3)
    x, W = _rand(rng, 3, 5, *hw), _rand(rng, 4, 5, 3, 3)
    ref = F.convolution_2d(x, W, None, 1, p).array
    got = conv_gemm.conv_winograd(x, W, (p, p))
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_winograd_float32_error_is_small_and_chunks_agree(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 32, 12, 12)).astype(np.float32)
    W = (rng.standard_normal((32, 32, 3, 3)) * 0.05).astype(np.float32)
    ref = F.convolution_2d(x.astype(np.float64), W.astype(np.float64), None,
                           1, 1).array
    got = conv_gemm.conv_winograd(x, W, (1, 1))
    assert got.dtype == np.float32
    assert np.abs(got - ref).max() < 1e-4 * np.abs(ref).max()
    monkeypatch.setattr(conv_gemm, 'MAX_COL_ELEMENTS', 1)
    np.testing.assert_allclose(conv_gemm.conv_winograd(x, W, (1, 1)), got,
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('hw, p', [((7, 9), 1), ((8, 8), 1), ((5, 5), 0),
                                   ((6, 3), 2), ((1, 1), 1)])
def test_winograd_filter_gradient_matches_chainer(hw, p, monkeypatch):
    rng = np.random.default_rng(5)
    x, W = _rand(rng, 3, 5, *hw), _rand(rng, 4, 5, 3, 3)
    gy = _rand(rng, *F.convolution_2d(x, W, None, 1, p).shape)
    Wv = chainer.Variable(W)
    F.sum(F.convolution_2d(x, Wv, None, 1, p) * gy).backward()
    got = conv_gemm.grad_w_winograd(x, gy, (p, p))
    np.testing.assert_allclose(got, Wv.grad, rtol=1e-10, atol=1e-10)
    monkeypatch.setattr(conv_gemm, 'MAX_COL_ELEMENTS', 1)  # a chunk a sample
    np.testing.assert_allclose(conv_gemm.grad_w_winograd(x, gy, (p, p)),
                               got, rtol=1e-10, atol=1e-10)
