"""The super-resolution network: shapes, its bilinear base, gradients."""
import numpy as np
import pytest

import chainer

from stargan.models import sr


@pytest.mark.parametrize('scale', sr.SCALES)
def test_enlarges_by_its_scale_any_size(scale):
    net = sr.SuperResolution(scale, channels=4, n_blocks=1)
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 6, 10)).astype(
        np.float32)
    y = net(x)
    assert y.shape == (2, 3, 6 * scale, 10 * scale)
    assert y.dtype == np.float32
    assert np.all(np.isfinite(y.array))


def test_unsupported_scales_and_sizes_are_refused():
    for kwargs in ({'scale': 3}, {'scale': 2, 'channels': 0},
                   {'scale': 2, 'n_blocks': -1}):
        with pytest.raises(ValueError):
            sr.SuperResolution(**kwargs)


def test_bilinear_base_keeps_flat_and_linear_pictures():
    # Pixel centres aligned (align_corners=False): a flat picture stays
    # flat; a ramp stays a ramp of slope 1/scale away from the edges
    # (which repeat the border pixel).
    flat = np.full((1, 2, 3, 5), 0.25, np.float32)
    np.testing.assert_array_equal(
        sr.bilinear_enlarge(flat, 4).array, np.full((1, 2, 12, 20), 0.25))
    ramp = np.tile(np.arange(5, dtype=np.float32), (1, 1, 4, 1))
    y = sr.bilinear_enlarge(ramp, 2).array[0, 0, 0]
    expected = (np.arange(10) + 0.5) / 2 - 0.5
    np.testing.assert_allclose(y[1:-1], expected[1:-1], atol=1e-6)
    assert y[0] == 0 and y[-1] == 4


def test_untrained_network_starts_near_the_bilinear_enlargement():
    net = sr.SuperResolution(2, channels=8, n_blocks=2)
    x = np.random.RandomState(1).uniform(-1, 1, (1, 3, 8, 8)).astype(
        np.float32)
    gap = np.abs(net(x).array - sr.bilinear_enlarge(x, 2).array)
    assert 0 < gap.mean() < 0.2


def test_every_parameter_gets_a_gradient():
    net = sr.SuperResolution(4, channels=4, n_blocks=2)
    x = np.random.RandomState(2).uniform(-1, 1, (2, 3, 4, 4)).astype(
        np.float32)
    chainer.functions.sum(net(x) ** 2).backward()
    for name, p in net.namedparams():
        assert p.grad is not None and np.any(p.grad != 0), name
