import itertools

import numpy as np
import pytest

import chainer.functions as F

from stargan.conv import gemm as conv_gemm
from stargan.conv import per_sample as conv_per_sample


def _rand(rng, *shape):
    return rng.standard_normal(shape)


PHASE_CASES = [  # (in_hw, ksize, stride, pad); stride 1 is one phase
    (hw, k, s, p)
    for hw, k, s, p in itertools.product(
        [(5, 6), (4, 4), (7, 3)], [1, 2, 3, 4, 5], [1, 2, 3], [0, 1, 2])
    if p < k]


@pytest.mark.parametrize('hw, k, s, p', PHASE_CASES)
def test_deconv_col2im_by_phase_matches_chainer(hw, k, s, p):
    # Includes kernels smaller than the stride, whose phases get no tap.
    rng = np.random.default_rng(0)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 3, 4, k, k)
    ref = F.deconvolution_2d(x, W, None, s, p).array
    got = conv_gemm.deconv_col2im(x, W, (s, s), (p, p), ref.shape[2:])
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_deconv_col2im_uneven_stride_and_pad():
    rng = np.random.default_rng(3)
    x, W = _rand(rng, 2, 3, 4, 6), _rand(rng, 3, 2, 3, 4)
    ref = F.deconvolution_2d(x, W, None, (2, 1), (1, 2)).array
    got = conv_gemm.deconv_col2im(x, W, (2, 1), (1, 2), ref.shape[2:])
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_deconv_col2im_larger_outsize_and_chunks(monkeypatch):
    # outsize one row/column past the default (a cover_all convolution's
    # input), and one sample a chunk.
    rng = np.random.default_rng(1)
    x, W = _rand(rng, 3, 2, 4, 5), _rand(rng, 2, 3, 4, 4)
    out = (2 * 3 + 4 - 2 + 1, 2 * 4 + 4 - 2 + 1)
    ref = F.deconvolution_2d(x, W, None, 2, 1, outsize=out).array
    monkeypatch.setattr(conv_gemm, 'MAX_COL_ELEMENTS', 1)
    got = conv_gemm.deconv_col2im(x, W, (2, 2), (1, 1), out)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('module', [conv_gemm, conv_per_sample])
def test_convolutions_match_chainer_with_uneven_stride_and_pad(module):
    rng = np.random.default_rng(2)
    x, W = _rand(rng, 3, 4, 9, 7), _rand(rng, 5, 4, 3, 2)
    ref = F.convolution_2d(x, W, None, (2, 1), (1, 0)).array
    got = module.conv_im2col(x, W, (2, 1), (1, 0))
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_chunks_bound_the_buffer_on_the_cpu_only(monkeypatch):
    # The CPU's cache limit cuts the batch; on another array module (a
    # GPU's) the batch stays one slice, whatever the buffer's size.
    monkeypatch.setattr(conv_gemm, 'MAX_COL_ELEMENTS', 10)
    assert list(conv_gemm.chunks(5, 4)) == [slice(0, 2), slice(2, 4),
                                            slice(4, 5)]
    assert list(conv_gemm.chunks(16, 10 ** 9, xp=object())) == [
        slice(0, 16)]
