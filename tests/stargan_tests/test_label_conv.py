import numpy as np
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check

from stargan import label_conv
from stargan import links


def _tiled_reference(x, c, W, pad):
    n, n_labels = c.shape
    tiled = np.broadcast_to(c[:, :, None, None],
                            (n, n_labels) + x.shape[2:])
    return F.convolution_2d(np.concatenate([x, tiled], axis=1), W,
                            None, 1, pad).array


@pytest.mark.parametrize('hw, k, pad', [((9, 7), 7, 3), ((5, 6), 3, 1),
                                        ((4, 4), 3, 0), ((3, 3), 5, 3),
                                        ((6, 5), 4, 2)])
def test_matches_the_tiled_convolution(hw, k, pad):
    # Interior, every border, pads wider than the image, even kernels.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3) + hw)
    c = rng.standard_normal((2, 4))
    W = rng.standard_normal((5, 7, k, k))
    got = label_conv.convolution_with_labels(x, c, W, pad).array
    np.testing.assert_allclose(got, _tiled_reference(x, c, W, pad),
                               rtol=1e-10, atol=1e-10)


def test_tap_mask_marks_taps_inside_the_image():
    # 4 rows, 3 taps, pad 1: the first output row's first tap and the
    # last one's last tap fall on the padding.
    np.testing.assert_array_equal(label_conv.tap_mask(4, 3, 1), [
        [0, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 0]])


def test_gradients_in_image_label_and_filter():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 4))
    c = rng.standard_normal((2, 2))
    W = rng.standard_normal((3, 5, 3, 3))
    gy = rng.standard_normal((2, 3, 5, 4))

    def f(x, c, W):
        return label_conv.convolution_with_labels(x, c, W, 1)

    gradient_check.check_backward(f, (x, c, W), gy, dtype=np.float64)
    gradient_check.check_double_backward(
        f, (x, c, W), gy, tuple(rng.standard_normal(a.shape)
                                for a in (x, c, W)), dtype=np.float64)


def test_link_keeps_the_concatenated_filter_layout():
    rng = np.random.default_rng(2)
    link = links.LabelConvolution2D(3 + 2, 4, 3, 1)
    link.b.array[:] = rng.standard_normal(4).astype(np.float32)
    assert link.W.shape == (4, 5, 3, 3)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    c = np.eye(2, dtype=np.float32)
    ref = _tiled_reference(x, c, link.W.array, 1) + link.b.array[:, None,
                                                                 None]
    np.testing.assert_allclose(link(x, c).array, ref, rtol=1e-5, atol=1e-5)
    link.cleargrads()
    xv = chainer.Variable(x)
    with links.frozen_parameters():
        y = link(xv, c)
    y.grad = np.ones_like(y.array)
    y.backward()
    assert link.W.grad is None and xv.grad is not None


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
def test_on_gpu_matches_the_cpu():
    import cupy
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 8, 8))
    c = rng.standard_normal((2, 3))
    W = rng.standard_normal((4, 6, 7, 7))
    cpu = label_conv.convolution_with_labels(x, c, W, 3).array
    gpu = label_conv.convolution_with_labels(
        cupy.asarray(x), cupy.asarray(c), cupy.asarray(W), 3).array
    np.testing.assert_allclose(cupy.asnumpy(gpu), cpu, rtol=1e-8, atol=1e-8)


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
def test_backward_on_gpu_matches_the_cpu():
    # float64 on both: their rounding differs by ~1e-13 here, far inside
    # the tolerance, while a wrong term of the GPU path is of order 1.
    import cupy
    rng = np.random.default_rng(4)
    arrays = (rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((2, 3)),
              rng.standard_normal((4, 6, 7, 7)))
    gy = rng.standard_normal((2, 4, 8, 8))
    grads = []
    for xp in (np, cupy):
        v = [chainer.Variable(xp.asarray(a)) for a in arrays]
        y = label_conv.convolution_with_labels(*v, 3)
        F.sum(y * xp.asarray(gy)).backward()
        grads.append([cupy.asnumpy(a.grad) for a in v])
    for cpu, gpu in zip(*grads):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-8, atol=1e-8)
