import numpy as np
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check

from stargan.conv import choice as conv_choice
from stargan.conv import cpu_threads
from stargan.conv import functions as conv
from stargan.conv import gemm as conv_gemm

CASES = [  # (in_hw, ksize, stride, pad)
    ((8, 8), 3, 1, 1),
    ((8, 8), 4, 2, 1),
    ((9, 7), 4, 2, 1),
    ((7, 7), 7, 1, 3),
    ((5, 6), 2, 1, 0),
]


def _rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float64)


@pytest.mark.parametrize('layout', ['batch', 'sample'])
@pytest.mark.parametrize('hw, k, s, p', CASES + [((9, 8), 4, 2, 2),
                                                 ((3, 5), 3, 2, 1)])
def test_convolution_by_row_blocks_matches_chainer(
        conv_settings, two_threads, layout, hw, k, s, p):
    # Inside cpu_threads.splitting (translation), im2col convolutions run
    # by blocks of output rows on two threads.
    conv_settings(layout=layout, formulation='im2col')
    rng = np.random.default_rng(0)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 4, 3, k, k)
    with cpu_threads.splitting():
        got = conv.conv_array(x, W, (s, s), (p, p))
    ref = F.convolution_2d(x, W, None, s, p).array
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    assert 2 in two_threads


@pytest.mark.parametrize('layout', ['batch', 'sample'])
@pytest.mark.parametrize('hw, k, s, p', [((4, 4), 4, 2, 1), ((3, 5), 3, 2, 1),
                                         ((5, 4), 4, 3, 0)])
def test_deconvolution_by_channel_blocks_matches_chainer(
        conv_settings, two_threads, layout, hw, k, s, p):
    # Inside cpu_threads.splitting, strided transposed convolutions run by
    # blocks of output channels on two threads.
    conv_settings(layout=layout)
    rng = np.random.default_rng(1)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 3, 5, k, k)
    ref = F.deconvolution_2d(x, W, None, s, p).array
    with cpu_threads.splitting():
        got = conv.deconvolution_2d(x, W, None, s, p).array
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    assert 2 in two_threads


@pytest.mark.parametrize('hw, k, s, p', CASES)
def test_convolution_forward_and_backward_match_chainer(hw, k, s, p):
    rng = np.random.default_rng(0)
    x, W, b = _rand(rng, 2, 3, *hw), _rand(rng, 4, 3, k, k), _rand(rng, 4)
    xs, Ws, bs = (chainer.Variable(a.copy()) for a in (x, W, b))
    xo, Wo, bo = (chainer.Variable(a.copy()) for a in (x, W, b))
    ys = F.convolution_2d(xs, Ws, bs, s, p)
    yo = conv.convolution_2d(xo, Wo, bo, s, p)
    np.testing.assert_allclose(yo.array, ys.array, rtol=1e-10, atol=1e-10)
    gy = _rand(rng, *ys.shape)
    F.sum(ys * gy).backward()
    F.sum(yo * gy).backward()
    for ours, stock in ((xo, xs), (Wo, Ws), (bo, bs)):
        np.testing.assert_allclose(ours.grad, stock.grad, rtol=1e-9,
                                   atol=1e-9)


@pytest.mark.parametrize('hw, k, s, p', CASES)
def test_deconvolution_forward_matches_chainer(hw, k, s, p):
    rng = np.random.default_rng(1)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 3, 5, k, k)
    ys = F.deconvolution_2d(x, W, None, s, p)
    yo = conv.deconvolution_2d(x, W, None, s, p)
    np.testing.assert_allclose(yo.array, ys.array, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('hw, k, s, p', CASES)
def test_nodes_check_backward_and_double_backward(hw, k, s, p):
    rng = np.random.default_rng(2)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 4, 3, k, k)
    y = conv.convolution_2d(x, W, None, s, p).array
    gy, ggx, ggW = _rand(rng, *y.shape), _rand(rng, *x.shape), \
        _rand(rng, *W.shape)

    def f(x, W):
        return conv.convolution_2d(x, W, None, s, p)

    gradient_check.check_backward(f, (x, W), gy, dtype=np.float64)
    gradient_check.check_double_backward(f, (x, W), gy, (ggx, ggW),
                                         dtype=np.float64)

    def g(y, W):  # the transposed convolution back to x's size
        return conv.deconvolution_2d(y, W, None, s, p, outsize=hw)

    ggy = _rand(rng, *y.shape)
    gradient_check.check_backward(g, (y, W), ggx, dtype=np.float64)
    gradient_check.check_double_backward(g, (y, W), ggx, (ggy, ggW),
                                         dtype=np.float64)

    def h(x, gy):
        return conv.Conv2DGradW(s, p, (k, k)).apply((x, gy))

    gradient_check.check_backward(h, (x, gy), ggW, dtype=np.float64)
    gradient_check.check_double_backward(h, (x, gy), ggW, (ggx, ggy),
                                         dtype=np.float64)


def _three_outputs(x, W):
    y = conv.convolution_2d(x, W, None, 2, 1).array
    back = conv.deconvolution_2d(y, W, None, 2, 1, outsize=x.shape[2:]).array
    gw = conv.Conv2DGradW(2, 1, W.shape[2:]).apply((x, y))[0].array
    return y, back, gw


@pytest.mark.parametrize('layout', ['batch', 'sample'])
def test_chunked_batch_equals_whole_batch(monkeypatch, conv_settings,
                                          layout):
    conv_settings(layout=layout)
    rng = np.random.default_rng(3)
    x, W = _rand(rng, 5, 3, 8, 8), _rand(rng, 4, 3, 4, 4)
    whole = _three_outputs(x, W)
    monkeypatch.setattr(conv_gemm, "MAX_COL_ELEMENTS", 1)  # one sample a chunk
    for chunked, ref in zip(_three_outputs(x, W), whole):
        np.testing.assert_allclose(chunked, ref, rtol=1e-10)


def _gradient_penalty_through(conv_fn, xp=np):
    rng = np.random.default_rng(4)

    def param(*shape):
        return chainer.Variable(xp.asarray(
            rng.standard_normal(shape).astype('f')))

    x, W1, W2 = param(2, 3, 8, 8), param(4, 3, 4, 4), param(1, 4, 3, 3)
    y = conv_fn(F.leaky_relu(conv_fn(x, W1, None, 2, 1)), W2, None, 1, 1)
    gx, = chainer.grad([F.sum(y)], [x], enable_double_backprop=True)
    F.sum(gx * gx).backward()
    return W1.grad


def test_stock_chainer_fails_where_ours_works():
    # Documents the chainer 7.8.1 bug this module works around; if a future
    # chainer fixes it, both paths must agree instead.
    ours = _gradient_penalty_through(conv.convolution_2d)
    assert np.all(np.isfinite(ours)) and np.abs(ours).sum() > 0
    try:
        stock = _gradient_penalty_through(F.convolution_2d)
    except ValueError as e:
        assert 'unpack' in str(e)
    else:
        np.testing.assert_allclose(ours, stock, rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
@pytest.mark.parametrize('hw, k, s, p', CASES)
def test_own_path_on_gpu_matches_cudnn_with_double_backprop(hw, k, s, p):
    import cupy
    rng = np.random.default_rng(5)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 4, 3, k, k)
    xg, Wg = cupy.asarray(x), cupy.asarray(W)
    ours = conv.convolution_2d(xg, Wg, None, s, p, use_stock=False)
    stock = conv.convolution_2d(xg, Wg, None, s, p, use_stock=True)
    cupy.testing.assert_allclose(ours.array, stock.array, rtol=1e-8)
    gy = cupy.asarray(_rand(rng, *ours.shape))

    def f(x, W):
        return conv.convolution_2d(x, W, None, s, p, use_stock=False)

    gradient_check.check_double_backward(
        f, (xg, Wg), gy, (cupy.asarray(_rand(rng, *x.shape)),
                          cupy.asarray(_rand(rng, *W.shape))),
        dtype=np.float64)
    # The stock path is what runs by default on GPU: the penalty must work.
    critic = _gradient_penalty_through(
        lambda *a: conv.convolution_2d(*a, use_stock=True), xp=cupy)
    assert bool(cupy.isfinite(critic).all())


# Shapes for the two formulations of every node: few output channels (the
# shift-and-add paths), few input channels (the transposed convolution's
# im2col path), stride 1 and 2, odd and non-square sizes, pad 0..3 and
# kernels 1..7.
FORMULATION_CASES = [  # (in_hw, ksize, stride, pad)
    ((5, 5), 1, 1, 0),
    ((6, 5), 2, 1, 1),
    ((7, 9), 3, 1, 2),
    ((9, 8), 5, 1, 3),
    ((7, 7), 7, 1, 3),
    ((8, 8), 4, 2, 1),
    ((9, 7), 3, 2, 0),
    ((7, 8), 5, 2, 3),
    ((6, 6), 1, 2, 0),
]


@pytest.fixture(params=[('im2col', 'batch'), ('im2col', 'sample'),
                        ('swapped', 'batch'), ('auto', 'batch'),
                        ('auto', 'sample')], ids='-'.join)
def formulation(request):
    with conv_choice.settings(formulation=request.param[0],
                              layout=request.param[1]):
        yield request.param


def _assert_matches_chainer(rng, x, W, s, p):
    """Our convolution and its two gradients against chainer's; returns
    the output gradient used."""
    xs, Ws = chainer.Variable(x.copy()), chainer.Variable(W.copy())
    xo, Wo = chainer.Variable(x.copy()), chainer.Variable(W.copy())
    ys = F.convolution_2d(xs, Ws, None, s, p)
    yo = conv.convolution_2d(xo, Wo, None, s, p)
    np.testing.assert_allclose(yo.array, ys.array, rtol=1e-10, atol=1e-10)
    gy = _rand(rng, *ys.shape)
    F.sum(ys * gy).backward()
    F.sum(yo * gy).backward()
    np.testing.assert_allclose(xo.grad, xs.grad, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(Wo.grad, Ws.grad, rtol=1e-9, atol=1e-9)
    return gy


@pytest.mark.parametrize('hw, k, s, p', FORMULATION_CASES)
@pytest.mark.parametrize('in_c, out_c', [(6, 2), (2, 6)])
def test_every_formulation_matches_chainer(formulation, hw, k, s, p, in_c,
                                           out_c):
    rng = np.random.default_rng(6)
    x, W = _rand(rng, 3, in_c, *hw), _rand(rng, out_c, in_c, k, k)
    gy = _assert_matches_chainer(rng, x, W, s, p)
    # The transposed convolution in its own right, from out_c channels.
    Wd = _rand(rng, out_c, in_c, k, k)
    np.testing.assert_allclose(
        conv.deconvolution_2d(gy, Wd, None, s, p).array,
        F.deconvolution_2d(gy, Wd, None, s, p).array, rtol=1e-10,
        atol=1e-10)


@pytest.mark.parametrize('hw, k, s, p', [
    ((6, 5), 3, 1, 1), ((7, 7), 7, 1, 3), ((7, 8), 4, 2, 2),
    ((5, 6), 2, 1, 0)])
def test_every_formulation_double_backward(formulation, hw, k, s, p):
    # Few output channels: Conv2D and Conv2DGradW take the shift-and-add
    # path under 'auto', and Deconv2D (x's gradient, from 1 channel) im2col.
    rng = np.random.default_rng(7)
    x, W = _rand(rng, 2, 4, *hw), _rand(rng, 1, 4, k, k)
    y = conv.convolution_2d(x, W, None, s, p).array
    gy = _rand(rng, *y.shape)
    ggx, ggW, ggy = (_rand(rng, *a.shape) for a in (x, W, y))

    def f(x, W):
        return conv.convolution_2d(x, W, None, s, p)

    gradient_check.check_backward(f, (x, W), gy, dtype=np.float64)
    gradient_check.check_double_backward(f, (x, W), gy, (ggx, ggW),
                                         dtype=np.float64)

    def g(y, W):
        return conv.deconvolution_2d(y, W, None, s, p, outsize=hw)

    gradient_check.check_double_backward(g, (y, W), ggx, (ggy, ggW),
                                         dtype=np.float64)

    def h(x, gy):
        return conv.Conv2DGradW(s, p, (k, k)).apply((x, gy))

    gradient_check.check_double_backward(h, (x, gy), ggW, (ggx, ggy),
                                         dtype=np.float64)


def test_auto_picks_the_smaller_buffer():
    # The paper generator's last layer, 64 -> 3 channels, 7x7, at 128 px.
    x, W, y = (16, 64, 128, 128), (3, 64, 7, 7), (16, 3, 128, 128)
    assert conv_choice.conv_uses_shift(x, W, (1, 1), (3, 3))
    assert conv_choice.deconv_uses_im2col(y, W, (1, 1), (3, 3), (128, 128))
    assert conv_choice.grad_w_uses_shift(x, y, (1, 1), (3, 3), (7, 7))
    # Its first layer, 8 -> 64 channels: the im2col-era choices.
    x, W, y = (16, 8, 128, 128), (64, 8, 7, 7), (16, 64, 128, 128)
    assert not conv_choice.conv_uses_shift(x, W, (1, 1), (3, 3))
    assert not conv_choice.deconv_uses_im2col(y, W, (1, 1), (3, 3), (128, 128))
    assert not conv_choice.grad_w_uses_shift(x, y, (1, 1), (3, 3), (7, 7))
    # A strided transposed convolution has no im2col form (it would need a
    # dilated input): it takes col2im.
    assert not conv_choice.deconv_uses_im2col((16, 256, 32, 32), (256, 128, 4, 4),
                                       (2, 2), (1, 1), (64, 64))
    # Residual blocks (equal buffers): im2col.
    assert conv_choice.deconv_uses_im2col((16, 256, 32, 32), (256, 256, 3, 3),
                                   (1, 1), (1, 1), (32, 32))


def test_im2col_formulation_is_the_previous_one():
    x, W, y = (16, 64, 128, 128), (3, 64, 7, 7), (16, 3, 128, 128)
    with conv_choice.settings(formulation='im2col'):
        assert not conv_choice.conv_uses_shift(x, W, (1, 1), (3, 3))
        assert not conv_choice.deconv_uses_im2col(y, W, (1, 1), (3, 3),
                                                  (128, 128))
        assert not conv_choice.grad_w_uses_shift(x, y, (1, 1), (3, 3), (7, 7))
    with pytest.raises(ValueError, match="formulation .*'fastest'"):
        with conv_choice.settings(formulation='fastest'):
            pass


def test_unknown_layout_is_named():
    with pytest.raises(ValueError, match="layout .*'diagonal'"):
        with conv_choice.settings(layout='diagonal'):
            pass
    # Set by hand, as chainer.using_config allows: named when read.
    with chainer.using_config('stargan_conv_layout', 'diagonal'):
        with pytest.raises(ValueError, match="layout .*'diagonal'"):
            conv.convolution_2d(np.zeros((1, 2, 4, 4)),
                                np.zeros((3, 2, 3, 3)))


def test_batch_layout_matches_sample_layout_on_deep_layers():
    # A discriminator's deep layers: 2x2 and 1x1 outputs, many channels,
    # where the batch layout's one GEMM replaces a GEMM per sample.
    rng = np.random.default_rng(10)
    cases = [((4, 4), 4, 2, 1), ((2, 2), 3, 1, 1), ((2, 2), 2, 1, 0)]
    for hw, k, s, p in cases:
        x, W = _rand(rng, 5, 12, *hw), _rand(rng, 16, 12, k, k)
        got = {}
        for layout in ('batch', 'sample'):
            xv, Wv = chainer.Variable(x.copy()), chainer.Variable(W.copy())
            with conv_choice.settings(layout=layout):
                y = conv.convolution_2d(xv, Wv, None, s, p)
                F.sum(y * y).backward()
            got[layout] = (y.array, xv.grad, Wv.grad)
        for a, b in zip(got['batch'], got['sample']):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_shift_paths_chunked_equal_whole_batch(monkeypatch, conv_settings):
    conv_settings(formulation='swapped')
    rng = np.random.default_rng(8)
    x, W = _rand(rng, 5, 3, 8, 8), _rand(rng, 2, 3, 3, 3)

    def outputs():
        y = conv.convolution_2d(x, W, None, 1, 1).array
        back = conv.deconvolution_2d(y, W, None, 1, 1).array
        gw = conv.Conv2DGradW(1, 1, (3, 3)).apply((x, y))[0].array
        return y, back, gw

    whole = outputs()
    monkeypatch.setattr(conv_gemm, "MAX_COL_ELEMENTS", 1)
    for chunked, ref in zip(outputs(), whole):
        np.testing.assert_allclose(chunked, ref, rtol=1e-10)


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
@pytest.mark.parametrize('hw, k, s, p', FORMULATION_CASES)
def test_swapped_paths_on_gpu_match_cudnn(conv_settings, hw, k, s, p):
    import cupy
    conv_settings(formulation='swapped')
    rng = np.random.default_rng(9)
    x, W = (cupy.asarray(_rand(rng, 2, 4, *hw)),
            cupy.asarray(_rand(rng, 1, 4, k, k)))
    xo, Wo = chainer.Variable(x.copy()), chainer.Variable(W.copy())
    xs, Ws = chainer.Variable(x.copy()), chainer.Variable(W.copy())
    yo = conv.convolution_2d(xo, Wo, None, s, p, use_stock=False)
    ys = conv.convolution_2d(xs, Ws, None, s, p, use_stock=True)
    cupy.testing.assert_allclose(yo.array, ys.array, rtol=1e-8, atol=1e-8)
    gy = cupy.asarray(_rand(rng, *ys.shape))
    F.sum(yo * gy).backward()
    F.sum(ys * gy).backward()
    cupy.testing.assert_allclose(xo.grad, xs.grad, rtol=1e-8, atol=1e-8)
    cupy.testing.assert_allclose(Wo.grad, Ws.grad, rtol=1e-8, atol=1e-8)


def test_auto_layout_batches_only_small_outputs(monkeypatch, conv_settings):
    calls = []

    def spied(layout):
        def wrap(fn):
            def call(*args):
                calls.append(layout)
                return fn(*args)
            return call
        return tuple(wrap(fn) for fn in conv_choice._IM2COL[layout])

    for layout in ('batch', 'sample'):
        monkeypatch.setitem(conv_choice._IM2COL, layout, spied(layout))
    conv_settings(layout='auto', batch_below=20)
    rng = np.random.default_rng(11)
    W = chainer.Variable(_rand(rng, 4, 3, 3, 3))
    for hw, expected in (((5, 5), 'sample'),   # 25 positions
                         ((4, 4), 'batch')):   # 16 positions
        calls.clear()
        x = chainer.Variable(_rand(rng, 2, 3, *hw))
        y = conv.convolution_2d(x, W, None, 1, 1)
        F.sum(y * y).backward()
        # forward, x's gradient (a transposed convolution, whose col2im
        # always takes the batch layout under 'auto') and W's.
        assert calls == [expected, 'batch', expected]


def test_winograd_choice_on_the_paper_networks():
    # Generator residual blocks: 256 channels at 32 px.
    assert conv_choice.conv_uses_winograd((16, 256, 32, 32), (256, 256, 3, 3),
                                   (1, 1))
    # Few channels, other kernels, strides, or the discriminator's 2x2 maps
    # (transforming a 2048x2048 filter would cost more than it saves).
    assert not conv_choice.conv_uses_winograd((16, 32, 64, 64), (32, 32, 3, 3),
                                       (1, 1))
    assert not conv_choice.conv_uses_winograd((16, 256, 32, 32), (256, 256, 4, 4),
                                       (1, 1))
    assert not conv_choice.conv_uses_winograd((16, 256, 32, 32), (256, 256, 3, 3),
                                       (2, 2))
    assert not conv_choice.conv_uses_winograd((16, 2048, 2, 2), (2048, 2048, 3, 3),
                                       (1, 1))


@pytest.mark.parametrize('hw, p', [((6, 5), 1), ((9, 8), 1), ((4, 4), 0)])
def test_winograd_nodes_match_chainer_to_second_order(conv_settings, hw, p):
    conv_settings(winograd_min_channels=1)
    rng = np.random.default_rng(12)
    x, W = _rand(rng, 2, 3, *hw), _rand(rng, 4, 3, 3, 3)
    assert conv_choice.conv_uses_winograd(x.shape, W.shape, (1, 1))
    gy = _assert_matches_chainer(rng, x, W, 1, p)

    def f(x, W):
        return conv.convolution_2d(x, W, None, 1, p)

    ggx, ggW = _rand(rng, *x.shape), _rand(rng, *W.shape)
    gradient_check.check_double_backward(f, (x, W), gy, (ggx, ggW),
                                         dtype=np.float64)


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
@pytest.mark.parametrize('layout', ['batch', 'sample'])
def test_winograd_and_layouts_on_gpu_match_cudnn(conv_settings, layout):
    import cupy
    conv_settings(winograd_min_channels=1, layout=layout)
    rng = np.random.default_rng(14)
    for k, s, p in ((3, 1, 1), (4, 2, 1), (7, 1, 3)):
        x = cupy.asarray(_rand(rng, 2, 4, 9, 8))
        W = cupy.asarray(_rand(rng, 5, 4, k, k))
        xo, Wo = chainer.Variable(x.copy()), chainer.Variable(W.copy())
        xs, Ws = chainer.Variable(x.copy()), chainer.Variable(W.copy())
        yo = conv.convolution_2d(xo, Wo, None, s, p, use_stock=False)
        ys = conv.convolution_2d(xs, Ws, None, s, p, use_stock=True)
        cupy.testing.assert_allclose(yo.array, ys.array, rtol=1e-8,
                                     atol=1e-8)
        gy = cupy.asarray(_rand(rng, *ys.shape))
        F.sum(yo * gy).backward()
        F.sum(ys * gy).backward()
        cupy.testing.assert_allclose(xo.grad, xs.grad, rtol=1e-8, atol=1e-8)
        cupy.testing.assert_allclose(Wo.grad, Ws.grad, rtol=1e-8, atol=1e-8)
