import numpy as np

from chainer import gradient_check

from stargan import links


def test_instance_norm_normalises_each_sample_and_channel():
    rng = np.random.RandomState(0)
    x = (rng.randn(3, 4, 6, 5) * 5 + 7).astype(np.float32)
    y = links.InstanceNormalization(4)(x).array
    np.testing.assert_allclose(y.mean(axis=(2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(2, 3)), 1, atol=1e-3)


def test_instance_norm_affine_and_gradients():
    rng = np.random.RandomState(1)
    x = rng.randn(2, 3, 4, 4)
    gamma, beta = rng.randn(3), rng.randn(3)
    gy = rng.randn(2, 3, 4, 4)
    y = links.instance_normalization(x, gamma, beta).array
    xhat = (x - x.mean(axis=(2, 3), keepdims=True)) / np.sqrt(
        x.var(axis=(2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(
        y, xhat * gamma[:, None, None] + beta[:, None, None], rtol=1e-6)
    gradient_check.check_backward(links.instance_normalization,
                                  (x, gamma, beta), gy, dtype=np.float64)


def test_conv_links_keep_chainer_parameter_layout():
    conv = links.Convolution2D(3, 5, 4, 2, 1)
    deconv = links.Deconvolution2D(5, 3, 4, 2, 1)
    assert conv.W.shape == (5, 3, 4, 4) and conv.b.shape == (5,)
    assert deconv.W.shape == (5, 3, 4, 4) and deconv.b.shape == (3,)
    x = np.zeros((2, 3, 8, 8), np.float32)
    assert deconv(conv(x)).shape == (2, 3, 8, 8)
