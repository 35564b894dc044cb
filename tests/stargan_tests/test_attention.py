"""The attention-mask generator: composition, mask losses, gradients."""
import numpy as np
import pytest

import chainer
from chainer import gradient_check

from stargan import attention
from stargan import ema
from stargan.models import stargan as networks

RNG = np.random.RandomState(0)


def _inputs(n=2, size=16, c_dim=3, dtype=np.float32):
    x = RNG.uniform(-1, 1, (n, 3, size, size)).astype(dtype)
    c = np.eye(c_dim, dtype=dtype)[np.arange(n) % c_dim]
    return x, c


def _saturate(gen, value):
    """Makes the mask head output exactly 0 (value < 0) or 1 (> 0): a
    sigmoid of -200 / 200 rounds to 0 / 1 in float32."""
    gen.a_out.W.array[...] = 0
    gen.a_out.b.array[...] = value


def test_compose_keeps_the_input_where_the_mask_is_zero_exactly():
    x, colour = (RNG.uniform(-1, 1, (2, 3, 4, 5)).astype(np.float32)
                 for _ in range(2))
    mask = np.zeros((2, 1, 4, 5), np.float32)
    mask[:, :, :2] = 1  # top rows repainted, the rest kept
    mask[1, :, 3, 4] = 0.25
    y = attention.compose(x, colour, mask)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_array_equal(y.array[:, :, :2], colour[:, :, :2])
    np.testing.assert_array_equal(y.array[0, :, 2:], x[0, :, 2:])
    # 0.25 and 0.75 are exact in binary: two products and a sum, each
    # rounded by at most half an ulp of values below 1: within 2**-23.
    np.testing.assert_allclose(
        y.array[1, :, 3, 4], 0.25 * colour[1, :, 3, 4] + 0.75 * x[1, :, 3, 4],
        rtol=0, atol=2 ** -23)


def test_mask_losses_match_a_hand_computation():
    a = np.array([[0, .5, 1], [1, 1, 1]], np.float32)[None, None]
    # mean: 4.5 / 6; down: |1-0|, |1-.5|, |1-1| -> 0.5; right: .5, .5, 0,
    # 0 -> 0.25. Every value is a short binary fraction: exact.
    assert float(attention.mask_loss(a).array) == 0.75
    assert float(attention.mask_tv_loss(a).array) == 0.75
    edge = np.zeros((1, 1, 4, 4), np.float32)
    edge[..., 2:] = 1  # one sharp vertical edge: 1 / (S - 1)
    assert float(attention.mask_tv_loss(edge).array) == pytest.approx(1 / 3.)
    both = attention.mask_losses([a, edge])
    assert float(both['loss_mask'].array) == (0.75 + 0.5) / 2
    assert float(both['loss_mask_tv'].array) == pytest.approx(
        (0.75 + 1 / 3.) / 2)


def test_attention_generator_shapes_and_dtypes():
    gen = attention.AttentionGenerator(3, conv_dim=4, n_res=1)
    x, c = _inputs()
    with chainer.no_backprop_mode():
        y, a = gen.forward_with_mask(x, c)
        again = gen(x, c)
    assert y.shape == x.shape and y.dtype == np.float32
    assert a.shape == (2, 1, 16, 16) and a.dtype == np.float32
    assert 0 <= a.array.min() and a.array.max() <= 1
    assert np.abs(y.array).max() <= 1
    np.testing.assert_array_equal(again.array, y.array)


def test_a_closed_mask_is_the_identity_an_open_one_the_plain_generator():
    gen = attention.AttentionGenerator(3, conv_dim=4, n_res=1)
    x, c = _inputs()
    _saturate(gen, -200.)
    with chainer.no_backprop_mode():
        np.testing.assert_array_equal(gen(x, c).array, x)
        _saturate(gen, 200.)
        plain = networks.Generator(3, conv_dim=4, n_res=1)
        for name, p in plain.namedparams():  # the same trunk and colour
            p.array[...] = dict(gen.namedparams())[name].array
        np.testing.assert_array_equal(gen(x, c).array, plain(x, c).array)


def test_with_mask_of_either_kind():
    x, c = _inputs()
    plain = networks.Generator(3, conv_dim=4, n_res=1)
    y, a = attention.with_mask(plain, x, c)
    assert a is None and y.shape == x.shape
    y, a = attention.with_mask(attention.AttentionGenerator(3, 4, 1), x, c)
    assert a.shape == (2, 1, 16, 16)


def test_gradients_reach_both_heads_and_match_finite_differences():
    with chainer.using_config('dtype', np.float64):
        gen = attention.AttentionGenerator(2, conv_dim=2, n_res=1)
    x, c = _inputs(n=1, size=8, c_dim=2, dtype=np.float64)
    gy = RNG.uniform(-1, 1, x.shape)
    # The trunk's ReLUs have kinks that central differences may straddle,
    # so the check runs on the smooth part: fixed trunk features through
    # both heads (conv, tanh / sigmoid) and the composition with x.
    h = gen.features(x, c).array

    def heads(h):
        mask = chainer.functions.sigmoid(gen.a_out(h))
        return attention.compose(
            x, chainer.functions.tanh(gen.c_out(h)), mask)
    np.testing.assert_array_equal(heads(h).array, gen(x, c).array)
    # float64 central differences of smooth functions: the default
    # tolerances (atol 1e-5, rtol 1e-4) are far above their O(eps**2)
    # error at eps 1e-3 and their rounding (1e-16 / 1e-3).
    gradient_check.check_backward(
        heads, h, gy, params=(gen.a_out.W, gen.a_out.b, gen.c_out.W),
        dtype=np.float64)
    gen.cleargrads()
    y, a = gen.forward_with_mask(x, c)
    loss = chainer.functions.sum(y * gy) + attention.mask_tv_loss(a)
    loss.backward()
    for head in (gen.a_out.W, gen.c_out.W, gen.c_in.W):
        assert np.abs(head.grad).max() > 0


def test_the_weight_average_covers_the_mask_head():
    gen = attention.AttentionGenerator(3, conv_dim=4, n_res=1)
    avg = ema.ExponentialMovingAverage(gen, beta=0.5)
    assert isinstance(avg.average, attention.AttentionGenerator)
    start = avg.average.a_out.W.array.copy()
    gen.a_out.W.array[...] += 1
    avg.update()  # decay 0.1 at the first update
    # 0.1 * w + 0.9 * (w + 1) with |w| < 1: three roundings of values
    # below 2, each within 2**-23: below 1e-6.
    np.testing.assert_allclose(avg.average.a_out.W.array, start + 0.9,
                               rtol=0, atol=1e-6)
