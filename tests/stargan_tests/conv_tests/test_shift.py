"""stargan.conv.shift: the GEMM-then-shift-and-add maps equal im2col's."""
import numpy as np
import pytest

from stargan.conv import gemm
from stargan.conv import shift


@pytest.mark.parametrize('stride, pad', [((1, 1), (1, 1)), ((2, 2), (1, 1)),
                                         ((1, 2), (0, 2))])
def test_shift_computes_the_im2col_maps(stride, pad):
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 7, 6)  # float64: both sum the same products
    W = rng.randn(4, 3, 3, 3)
    y = gemm.conv_im2col(x, W, stride, pad)
    np.testing.assert_allclose(shift.conv_shift(x, W, stride, pad), y,
                               rtol=1e-12, atol=1e-12)
    gy = rng.randn(*y.shape)
    np.testing.assert_allclose(
        shift.grad_w_shift(x, gy, stride, pad, (3, 3)),
        gemm.grad_w_im2col(x, gy, stride, pad, (3, 3)),
        rtol=1e-12, atol=1e-12)
