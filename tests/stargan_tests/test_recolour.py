"""The recolouring generator: bilinear spreading of the colour maps, the
per-pixel affine colour map, the generator's start as the identity, its
gradients."""
import numpy as np
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check

from stargan import attention
from stargan import generators
from stargan import recolour

RNG = np.random.RandomState(0)
EPS32 = np.finfo(np.float32).eps


def _inputs(n=2, size=16, c_dim=3, dtype=np.float32):
    x = RNG.uniform(-1, 1, (n, 3, size, size)).astype(dtype)
    c = np.eye(c_dim, dtype=dtype)[np.arange(n) % c_dim]
    return x, c


def _bilinear_matrix(n, factor):
    """(factor n, n) float64: half-pixel centres, edges clamped, written
    from the definition (not from the kernel)."""
    u = np.clip((np.arange(n * factor) + .5) / factor - .5, 0, n - 1)
    lo = np.floor(u).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    m = np.zeros((n * factor, n))
    m[np.arange(n * factor), lo] += 1 - (u - lo)
    m[np.arange(n * factor), hi] += u - lo
    return m


@pytest.mark.parametrize('factor', [2, 4])
def test_spread_is_bilinear_interpolation_with_clamped_edges(factor):
    k = RNG.randn(2, 5, 3, 4).astype(np.float32)
    got = recolour.spread(k, factor).array
    want = np.einsum('ah,nchw,bw->ncab', _bilinear_matrix(3, factor),
                     k.astype(np.float64), _bilinear_matrix(4, factor))
    assert got.shape == (2, 5, 3 * factor, 4 * factor)
    # Each output is a sum over the 2f x 2f taps of all C input channels
    # (the kernel's zeros included), weights in [0, 1]: float32 rounding
    # of an n-term sum is below n * eps * max|k| (gamma_n).
    n = (2 * factor) ** 2 * k.shape[1]
    np.testing.assert_allclose(got, want, rtol=0,
                               atol=n * EPS32 * np.abs(k).max())


def test_spread_keeps_a_constant_map_and_stays_within_its_inputs():
    flat = np.full((1, 12, 4, 4), 0.75, np.float32)
    got = recolour.spread(flat).array
    n = 8 * 8 * 12
    np.testing.assert_allclose(got, 0.75, rtol=0, atol=n * EPS32)
    k = RNG.uniform(-1, 1, (1, 3, 4, 4)).astype(np.float32)
    got = recolour.spread(k).array  # a convex combination of neighbours
    assert got.min() >= k.min() - 1e-5 and got.max() <= k.max() + 1e-5


def test_the_bilinear_kernel_is_diagonal_and_sums_to_one_per_phase():
    w = recolour.bilinear_kernel(3, 4)
    assert w.shape == (3, 3, 8, 8) and w.dtype == np.float32
    assert not w[0, 1].any() and not w[2, 0].any()
    # Every output pixel takes taps i and i + 4 of each axis from two
    # neighbouring inputs: their four products sum to 1 (exactly: every
    # tap is a multiple of 1/8).
    d = w[1, 1]
    np.testing.assert_array_equal(
        d[:4, :4] + d[4:, :4] + d[:4, 4:] + d[4:, 4:], 1.)


def test_recolour_is_the_affine_colour_map_of_each_pixel_clipped():
    x = RNG.uniform(-1, 1, (2, 3, 4, 5)).astype(np.float32)
    k = RNG.uniform(-.5, .5, (2, 12, 4, 5)).astype(np.float32)
    got = recolour.recolour(x, k).array
    m = k[:, :9].reshape(2, 3, 3, 4, 5).astype(np.float64)
    want = x + np.einsum('ncjhw,njhw->nchw', m, x) + k[:, 9:]
    assert got.shape == x.shape and got.dtype == np.float32
    # Five float32 additions of terms below 1.5 in magnitude.
    np.testing.assert_allclose(got, np.clip(want, -1, 1), rtol=0,
                               atol=5 * 1.5 * EPS32 * 4)
    assert (want > 1).any() and (want < -1).any()  # the clip was tested


def test_zero_maps_are_the_identity_exactly_and_a_channel_swap_works():
    x = RNG.uniform(-1, 1, (1, 3, 4, 4)).astype(np.float32)
    k = np.zeros((1, 12, 4, 4), np.float32)
    np.testing.assert_array_equal(recolour.recolour(x, k).array, x)
    # M = P - I for P the permutation red <-> blue: every sum is exact
    # (x - x = 0, 0 + x = x) except blue's, x_b + x_r - x_b.
    for c, j in ((0, 2), (2, 0)):
        k[:, 3 * c + c] = -1
        k[:, 3 * c + j] = 1
    got = recolour.recolour(x, k).array
    np.testing.assert_array_equal(got[:, :2], x[:, [2, 1]])
    np.testing.assert_allclose(got[:, 2], x[:, 0], rtol=0, atol=4 * EPS32)


def test_an_untrained_recolour_generator_is_the_identity():
    gen = recolour.RecolourGenerator(3, conv_dim=4, n_res=1)
    assert not hasattr(gen, 'c_out')  # nothing to paint with
    x, c = _inputs()
    with chainer.no_backprop_mode():
        y, a = gen.forward_with_mask(x, c)
    assert a.shape == (2, 1, 16, 16) and 0 < a.array.min()
    # The maps are zero, so T(x) = x exactly; a x + (1 - a) x rounds
    # three times, each within eps / 2 of a value below 1.
    np.testing.assert_allclose(y.array, x, rtol=0, atol=2 * EPS32)


def test_a_closed_mask_keeps_the_input_an_open_one_applies_the_map():
    gen = recolour.RecolourGenerator(3, conv_dim=4, n_res=1)
    gen.t_out.b.array[9:] = np.arctanh(0.25)  # offset 2 * 0.25 everywhere
    x, c = _inputs()
    gen.a_out.W.array[...] = 0
    gen.a_out.b.array[...] = -200.  # sigmoid(-200) is 0 in float32
    with chainer.no_backprop_mode():
        np.testing.assert_array_equal(gen(x, c).array, x)
        gen.a_out.b.array[...] = 200.  # 1
        y = gen(x, c).array
    # tanh(arctanh(0.25)) within a few eps of 0.25, doubled, then one sum.
    np.testing.assert_allclose(y, np.clip(x + 0.5, -1, 1), rtol=0,
                               atol=8 * EPS32)


def test_gradients_of_the_colour_path_match_finite_differences():
    with chainer.using_config('dtype', np.float64):
        gen = recolour.RecolourGenerator(2, conv_dim=2, n_res=1)
    gen.t_out.W.array[...] = RNG.normal(0, .1, gen.t_out.W.shape)
    x, c = _inputs(n=1, size=8, c_dim=2, dtype=np.float64)
    x *= 0.5  # away from the clip's kinks
    gy = RNG.uniform(-1, 1, x.shape)
    # Fixed trunk features through both heads, the spreading and the
    # composition: smooth except at the clip, which the inputs avoid.
    bottleneck = gen.encode(x, c).array
    h = gen.decode(bottleneck).array

    def heads(bottleneck, h):
        mask = F.sigmoid(gen.a_out(h))
        k = recolour.spread(gen.colour_maps(bottleneck))
        return attention.compose(x, recolour.recolour(x, k), mask)
    np.testing.assert_allclose(heads(bottleneck, h).array, gen(x, c).array,
                               rtol=0, atol=1e-12)
    # float64 central differences: O(eps**2) error at eps 1e-3, far
    # below the default tolerances (atol 1e-5, rtol 1e-4).
    gradient_check.check_backward(
        heads, (bottleneck, h), gy,
        params=(gen.t_out.W, gen.t_out.b, gen.a_out.W), dtype=np.float64)


def test_every_layer_learns_from_a_loss_on_the_output():
    gen = recolour.RecolourGenerator(3, conv_dim=4, n_res=1)
    gen.t_out.W.array[...] = RNG.normal(0, .1, gen.t_out.W.shape)
    x, c = _inputs()
    gen.cleargrads()  # chainer starts every gradient at NaN
    y, a = gen.forward_with_mask(x, c)
    (F.sum(y * y) + attention.mask_tv_loss(a)).backward()
    for p in (gen.t_out.W, gen.a_out.W, gen.c_in.W, gen.up2.W):
        assert np.abs(p.grad).max() > 0


def test_the_choice_names_every_kind():
    assert generators.GENERATORS['recolour'] is recolour.RecolourGenerator
    assert set(generators.GENERATORS) == {'plain', 'attention', 'recolour'}
