import numpy as np
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check

from stargan.conv import label_conv
from stargan.conv import links


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


def _forward_backward(path, x, c, W, gy, pad):
    xs = [chainer.Variable(a.copy()) for a in (x, c, W)]
    y = label_conv.convolution_with_labels(*xs, pad, use_stock=path)
    y.grad = gy
    y.backward()
    return [y.array] + [v.grad for v in xs]


@pytest.mark.parametrize('hw, k, pad', [((9, 7), 7, 3), ((4, 4), 3, 0),
                                        ((3, 3), 5, 3), ((6, 5), 4, 2)])
def test_gpu_path_matches_the_cpu_node_forward_and_backward(hw, k, pad):
    # The GPU's computation (chainer's convolution + one product for the
    # labels), run here on numpy in float64: output and the gradients of
    # image, label and filter agree with the CPU node's to rounding.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 3) + hw)
    c = rng.standard_normal((3, 4))
    W = rng.standard_normal((5, 7, k, k))
    gy = rng.standard_normal((3, 5) + tuple(
        s + 2 * pad - k + 1 for s in hw))
    stock = _forward_backward(True, x, c, W, gy, pad)
    node = _forward_backward(False, x, c, W, gy, pad)
    np.testing.assert_allclose(stock[0], _tiled_reference(x, c, W, pad),
                               rtol=1e-10, atol=1e-10)
    for got, want in zip(stock, node):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_gpu_path_first_order_gradients_are_exact():
    rng = np.random.default_rng(5)
    x, c = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 2))
    W, gy = rng.standard_normal((3, 5, 3, 3)), rng.standard_normal(
        (2, 3, 5, 4))
    gradient_check.check_backward(
        lambda *a: label_conv.convolution_with_labels(*a, 1, use_stock=True),
        (x, c, W), gy, dtype=np.float64)


def _count_calls(monkeypatch, module, name, calls=None):
    calls = [] if calls is None else calls
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, counted)
    return calls


def _gpu_path_calls(monkeypatch, batch):
    rng = np.random.default_rng(6)
    x, c = rng.standard_normal((batch, 3, 8, 8)), rng.standard_normal(
        (batch, 3))
    W = rng.standard_normal((4, 6, 7, 7))
    gy = rng.standard_normal((batch, 4, 8, 8))
    with monkeypatch.context() as m:
        calls = _count_calls(m, np, 'matmul')
        _count_calls(m, np, 'tensordot', calls)
        _count_calls(m, F, 'convolution_2d', calls)
        _forward_backward(True, x, c, W, gy, 3)
    return {name: calls.count(name) for name in set(calls)}


def test_gpu_path_does_the_same_work_for_any_batch(monkeypatch):
    # A loop over samples (or over chunks of the batch, which the CPU's
    # cache limit would cut to one sample here) would make more products
    # and convolution calls for a larger batch.
    monkeypatch.setattr(label_conv.conv_gemm, 'MAX_COL_ELEMENTS', 1)
    one = _gpu_path_calls(monkeypatch, 1)
    assert one['convolution_2d'] == 1 and one['matmul'] > 0
    assert _gpu_path_calls(monkeypatch, 7) == one


def test_masks_are_built_once_per_device_and_shape(monkeypatch):
    label_conv._cached_masks.cache_clear()
    built = _count_calls(monkeypatch, label_conv, 'tap_mask')
    x = np.zeros((2, 3, 6, 5), np.float32)
    first = label_conv.masks(x, (6, 5), (3, 3), (1, 1))
    again = label_conv.masks(x + 1, (6, 5), (3, 3), (1, 1))
    assert len(built) == 2  # A_h and A_w, once
    assert all(a is b for a, b in zip(first, again))
    assert first[0].dtype == np.float32
    label_conv.masks(x.astype(np.float64), (6, 5), (3, 3), (1, 1))
    assert len(built) == 4  # another dtype: its own pair


def test_the_cpu_takes_the_node_and_the_gpu_path_is_chosen_off_numpy():
    x, c = np.zeros((1, 3, 4, 4)), np.zeros((1, 2))
    W = np.zeros((2, 5, 3, 3))
    y = label_conv.convolution_with_labels(x, c, W, 1)
    assert isinstance(y.creator, label_conv.LabelConv2D)
    y = label_conv.convolution_with_labels(x, c, W, 1, use_stock=True)
    assert not isinstance(y.creator, label_conv.LabelConv2D)


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
    for stock in (None, False):  # the GPU's own path, and the node
        gpu = label_conv.convolution_with_labels(
            cupy.asarray(x), cupy.asarray(c), cupy.asarray(W), 3,
            use_stock=stock).array
        np.testing.assert_allclose(cupy.asnumpy(gpu), cpu, rtol=1e-8,
                                   atol=1e-8)


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
def test_on_gpu_backward_matches_the_cpu():
    # The GPU takes chainer's convolution and the batched label term; its
    # gradients of image, label and filter equal the CPU node's.
    import cupy
    rng = np.random.default_rng(7)
    x, c = rng.standard_normal((3, 3, 8, 8)), rng.standard_normal((3, 3))
    W, gy = rng.standard_normal((4, 6, 7, 7)), rng.standard_normal(
        (3, 4, 8, 8))
    cpu = _forward_backward(None, x, c, W, gy, 3)
    gpu = _forward_backward(None, *(cupy.asarray(a) for a in (x, c, W, gy)),
                            3)
    for got, want in zip(gpu, cpu):
        np.testing.assert_allclose(cupy.asnumpy(got), want, rtol=1e-8,
                                   atol=1e-8)
