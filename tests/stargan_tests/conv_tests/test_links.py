import numpy as np
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check

from stargan.conv import links


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


def test_fused_instance_norm_matches_composite_to_second_order():
    rng = np.random.RandomState(2)
    x = rng.randn(2, 3, 5, 4) * 3 + 1
    gamma, beta = rng.randn(3), rng.randn(3)
    gy, ggx, ggg, ggb = (rng.randn(*a.shape) for a in (x, x, gamma, beta))
    fused = [chainer.Variable(a.copy()) for a in (x, gamma, beta)]
    comp = [chainer.Variable(a.copy()) for a in (x, gamma, beta)]
    y_f = links.instance_normalization(*fused)
    y_c = links.instance_normalization_composite(*comp)
    np.testing.assert_allclose(y_f.array, y_c.array, rtol=1e-12, atol=1e-12)
    F.sum(y_f * gy).backward()
    F.sum(y_c * gy).backward()
    for f, c in zip(fused, comp):
        np.testing.assert_allclose(f.grad, c.grad, rtol=1e-10, atol=1e-10)
    gradient_check.check_backward(links.instance_normalization,
                                  (x, gamma, beta), gy, dtype=np.float64)
    gradient_check.check_double_backward(
        links.instance_normalization, (x, gamma, beta), gy,
        (ggx, ggg, ggb), dtype=np.float64)


def test_fused_instance_norm_in_a_gradient_penalty():
    # d/dgamma of |d y / d x|^2 goes through the second-order fallback.
    rng = np.random.RandomState(3)
    args = [chainer.Variable(rng.randn(*s).astype(np.float32))
            for s in ((2, 3, 4, 4), (3,), (3,))]
    grads = []
    for fn in (links.instance_normalization,
               links.instance_normalization_composite):
        for a in args:
            a.cleargrad()
        y = fn(*args)
        gx, = chainer.grad([F.sum(y * y * y)], [args[0]],
                           enable_double_backprop=True)
        F.sum(gx * gx).backward()
        grads.append([a.grad.copy() for a in args])
    for f, c in zip(*grads):
        np.testing.assert_allclose(f, c, rtol=1e-4, atol=1e-4)


def test_frozen_parameters_stop_gradients_at_the_parameters_only():
    from stargan.conv import links as stargan_links
    rng = np.random.default_rng(13)
    layers = [stargan_links.Convolution2D(3, 4, 3, 1, 1),
              stargan_links.Deconvolution2D(4, 3, 4, 2, 1),
              stargan_links.InstanceNormalization(3)]
    x = chainer.Variable(rng.standard_normal((2, 3, 5, 5)).astype('f'))
    ref = None
    for frozen in (False, True):
        for layer in layers:
            layer.cleargrads()
        x.grad = None
        h = x
        with chainer.using_config('stargan_frozen_parameters', frozen):
            for layer in layers:
                h = layer(h)
        F.sum(h * h).backward()
        grads = [p.grad for layer in layers for p in layer.params()]
        if not frozen:
            ref = (h.array.copy(), x.grad.copy())
            assert all(g is not None for g in grads)
        else:
            assert all(g is None for g in grads)
            np.testing.assert_allclose(h.array, ref[0], rtol=1e-6)
            np.testing.assert_allclose(x.grad, ref[1], rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
def test_fused_instance_norm_on_gpu_matches_the_cpu():
    # Forward, the fused first-order backward and the gradient penalty's
    # second order, in float64 (rounding ~1e-13, far inside 1e-8).
    import cupy
    rng = np.random.RandomState(4)
    arrays = (rng.randn(2, 3, 6, 5) * 3 + 1, rng.randn(3), rng.randn(3))
    gy = rng.randn(2, 3, 6, 5)
    results = []
    for xp in (np, cupy):
        v = [chainer.Variable(xp.asarray(a)) for a in arrays]
        y = links.instance_normalization(*v)
        F.sum(y * xp.asarray(gy)).backward()
        first = [a.grad.copy() for a in v]
        for a in v:
            a.cleargrad()
        gx, = chainer.grad([F.sum(links.instance_normalization(*v) ** 3)],
                           [v[0]], enable_double_backprop=True)
        F.sum(gx * gx).backward()
        results.append([cupy.asnumpy(a) for a in
                        [y.array] + first + [a.grad for a in v]])
    for cpu, gpu in zip(*results):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-8, atol=1e-8)


def test_instance_norm_stays_float32_at_256_px():
    # 256 x 256 = 65536 positions: NumPy 1.x turned float32 / 65536 into
    # float64, and CycleGAN's first backward step at 256 px failed.
    rng = np.random.RandomState(2)
    x = chainer.Variable(rng.randn(1, 2, 256, 256).astype(np.float32))
    norm = links.InstanceNormalization(2)
    y = norm(x)
    assert y.dtype == np.float32
    F.sum(y * y.array).backward()
    assert x.grad.dtype == norm.gamma.grad.dtype == np.float32
