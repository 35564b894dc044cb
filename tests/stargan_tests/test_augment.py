"""DiffAugment: each augmentation's effect, gradients, draws."""
import numpy as np
import pytest

import chainer
from chainer import gradient_check

from stargan import augment


def _images(n=3, size=8, seed=0, dtype=np.float32):
    return np.random.RandomState(seed).uniform(
        -1, 1, (n, 3, size, size)).astype(dtype)


def _rolled(x, dy, dx):
    """numpy.roll with the wrapped rows and columns set to 0."""
    y = np.roll(x, (dy, dx), axis=(1, 2))
    if dy > 0:
        y[:, :dy] = 0
    elif dy < 0:
        y[:, dy:] = 0
    if dx > 0:
        y[:, :, :dx] = 0
    elif dx < 0:
        y[:, :, dx:] = 0
    return y


def test_policies_are_read_in_application_order():
    assert augment.parse_policy('none') == ()
    assert augment.parse_policy('') == ()
    assert augment.parse_policy('cutout, translation') == (
        'translation', 'cutout')
    assert augment.parse_policy('color,cutout,color') == ('color', 'cutout')
    with pytest.raises(ValueError, match="'flip'.*translation"):
        augment.parse_policy('translation,flip')


def test_translation_is_a_roll_with_zero_fill():
    x = _images()
    shift = np.array([[2, -3], [0, 0], [-1, 5]], np.int32)
    y = augment.translate(x, shift)
    assert y.shape == x.shape and y.dtype == np.float32
    for n, (dy, dx) in enumerate(shift):
        np.testing.assert_array_equal(y.array[n], _rolled(x[n], dy, dx))


def test_cutout_zeroes_a_square_of_the_documented_size():
    aug = augment.DiffAugment('cutout')
    x = _images(n=2, size=8)
    assert aug.cutout_size(8) == 4  # half the side
    corner = np.array([[1, 2], [-2, 6]], np.int32)  # inside; clipped
    y = aug(x, {'corner': corner}).array
    assert y.shape == x.shape and y.dtype == np.float32
    hole = np.zeros((2, 8, 8), bool)
    hole[0, 1:5, 2:6] = True
    hole[1, 0:2, 6:8] = True
    for n in range(2):
        np.testing.assert_array_equal(y[n][:, hole[n]], 0)
        np.testing.assert_array_equal(y[n][:, ~hole[n]], x[n][:, ~hole[n]])


def test_color_keeps_shapes_and_is_the_identity_at_the_neutral_draw():
    x = _images()
    half = np.full((3, 1, 1, 1), 0.5, np.float32)
    y = augment.color(x, half, half, half)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(y.array, x, atol=1e-6)
    y = augment.color(x, half + 0.25, half, half)
    np.testing.assert_allclose(y.array, x + 0.25, atol=1e-6)


def test_draws_have_the_documented_ranges_and_repeat_with_the_seed():
    aug = augment.DiffAugment('color,translation,cutout')
    draws = aug.draw(np.random.RandomState(5), 500, 32)
    assert set(draws) == {'brightness', 'saturation', 'contrast', 'shift',
                          'corner'}
    assert draws['shift'].dtype == np.int32 and draws['shift'].shape == (
        500, 2)
    assert draws['shift'].min() == -4 and draws['shift'].max() == 4
    assert draws['corner'].min() == -8 and draws['corner'].max() == 24
    assert 0 <= draws['brightness'].min() < draws['brightness'].max() < 1
    x = _images(n=500, size=32)
    again = aug.draw(np.random.RandomState(5), 500, 32)
    other = aug.draw(np.random.RandomState(6), 500, 32)
    np.testing.assert_array_equal(aug(x, draws).array, aug(x, again).array)
    assert not np.array_equal(aug(x, draws).array, aug(x, other).array)


def test_gradients_flow_through_every_augmentation():
    x = _images(n=2, size=6, dtype=np.float64)
    aug = augment.DiffAugment('color,translation,cutout')
    draws = aug.draw(np.random.RandomState(0), 2, 6)
    draws = {k: v.astype(np.float64) if v.dtype.kind == 'f' else v
             for k, v in draws.items()}
    gy = np.random.RandomState(1).uniform(-1, 1, x.shape)
    # Every augmentation is linear in x given its draws, so float64 central
    # differences are exact up to rounding (~1e-13).
    gradient_check.check_backward(lambda v: aug(v, draws), x, gy,
                                  dtype=np.float64, atol=1e-8, rtol=1e-8)
    shift = np.array([[1, -2], [-3, 0]], np.int32)
    gradient_check.check_double_backward(
        lambda v: augment.translate(v, shift) ** 2, x, gy, gy,
        dtype=np.float64, atol=1e-8, rtol=1e-8)


def test_a_policy_of_none_is_falsy():
    assert not augment.DiffAugment('none')
    assert augment.DiffAugment(['cutout'])


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
def test_gpu_matches_the_cpu():
    aug = augment.DiffAugment('color,translation,cutout')
    x = _images(n=4, size=16)
    draws = aug.draw(np.random.RandomState(0), 4, 16)
    gpu = chainer.get_device('@cupy:0')
    want = aug(x, draws)
    got = aug(gpu.send(x), {k: gpu.send(v) for k, v in draws.items()})
    # float32 means over 768 values: the devices sum in other orders.
    np.testing.assert_allclose(chainer.backends.cuda.to_cpu(got.array),
                               want.array, atol=1e-5)
