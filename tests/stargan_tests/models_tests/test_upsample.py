"""The generator's upsampling: deconv (the paper's, the default) or resize
(nearest x2 then conv3x3, without the deconvolution's checkerboard)."""
import numpy as np
import pytest

import chainer

from stargan import generators
from stargan.conv import links
from stargan.models import stargan as networks

EPS = np.finfo(np.float32).eps


@pytest.mark.parametrize('kind', sorted(generators.GENERATORS))
def test_resize_generators_keep_the_image_shape(kind):
    gen = generators.GENERATORS[kind](3, 4, 1, upsample='resize')
    rng = np.random.RandomState(0)
    if kind == 'recolour':  # untrained, it is the identity: no gradient
        gen.t_out.W.array[...] = rng.normal(0, .1, gen.t_out.W.shape)
    x = rng.uniform(-1, 1, (2, 3, 16, 16)).astype(np.float32)
    c = np.eye(3, dtype=np.float32)[[0, 2]]
    y = gen(x, c)
    assert y.shape == (2, 3, 16, 16) and y.dtype == np.float32
    assert np.abs(y.array).max() <= 1
    for name in ('up1', 'up2'):
        assert isinstance(getattr(gen, name), networks.ResizeConvolution2D)
    assert gen.up1.W.shape == (8, 16, 3, 3) and gen.up2.W.shape == (4, 8, 3, 3)
    # Gradients reach the first layer through both resizes.
    gen.cleargrads()
    chainer.functions.sum(y * y).backward()
    assert np.abs(gen.c_in.W.grad).max() > 0


def test_without_the_option_the_generator_is_the_papers():
    # The parameters of every generator written before the option.
    gen = networks.Generator(5, conv_dim=8, n_res=1)
    assert isinstance(gen.up1, links.Deconvolution2D)
    shapes = {n: p.shape for n, p in gen.namedparams()}
    assert shapes['/up1/W'] == (32, 16, 4, 4)
    assert shapes['/up2/W'] == (16, 8, 4, 4)
    same = networks.Generator(5, conv_dim=8, n_res=1, upsample='deconv')
    assert {n: p.shape for n, p in same.namedparams()} == shapes
    resize = networks.Generator(5, conv_dim=8, n_res=1, upsample='resize')
    # Same names, other shapes: a file of the other kind cannot load.
    assert sorted(n for n, _ in resize.namedparams()) == sorted(shapes)


def test_an_unknown_upsampling_is_refused():
    with pytest.raises(ValueError, match="deconv, resize, got 'bilinear'"):
        networks.Generator(3, 4, 1, upsample='bilinear')


def _interior_spread(layer, channels, rng):
    """How far apart the interior pixels of ``layer``'s output are for a
    spatially constant input (one value per channel), per output channel,
    and the float32 rounding bound of one output pixel.

    A constant input has no structure, so whatever varies in the output's
    interior (one pixel in from the edges, beyond the padding's reach)
    is made by the layer itself: a checkerboard of period 2.
    """
    v = rng.uniform(0.5, 1.5, (1, channels, 1, 1)).astype(np.float32)
    x = np.broadcast_to(v, (1, channels, 6, 6)).copy()
    with chainer.no_backprop_mode():
        y = layer(x).array[0, :, 1:-1, 1:-1]
    assert y.shape[1:] == (10, 10)
    spread = y.max(axis=(1, 2)) - y.min(axis=(1, 2))
    # Each resize output is the same n = 9 * C products summed, only the
    # order may differ: each within n * eps/2 * sum |w * v| of the exact
    # sum, so two within n * eps * sum |w * v|.
    w = np.abs(layer.W.array).sum(axis=(2, 3))  # (out, in)
    if isinstance(layer, links.Deconvolution2D):  # W is (in, out, k, k)
        w = w.T
    bound = 9 * channels * EPS * (w * v[0, :, 0, 0]).sum(axis=1)
    return spread, bound


def test_resize_paints_no_checkerboard_where_deconv_does():
    rng = np.random.RandomState(1)
    gen = networks.Generator(3, 4, 1, upsample='resize')
    for layer, channels in ((gen.up1, 16), (gen.up2, 8)):
        spread, bound = _interior_spread(layer, channels, rng)
        assert (spread <= bound).all(), (spread, bound)
    # The measure sees the deconvolution's pattern (each of its four
    # phases is a different quarter of the kernel).
    deconv = networks.Generator(3, 4, 1)
    for layer, channels in ((deconv.up1, 16), (deconv.up2, 8)):
        spread, bound = _interior_spread(layer, channels, rng)
        assert (spread > 100 * bound).all(), (spread, bound)


def _abs_reference(layer, x):
    """The definition computed on absolute values: sum |w| |x| per output,
    the scale of its float32 rounding."""
    absolute = networks.ResizeConvolution2D(*layer.W.shape[1::-1],
                                            nobias=True)
    absolute.W.array[...] = np.abs(layer.W.array)
    with chainer.no_backprop_mode():
        return absolute.reference(np.abs(x)).array


def test_the_folded_kernel_computes_nearest_x2_then_the_convolution():
    rng = np.random.RandomState(2)
    layer = networks.ResizeConvolution2D(6, 5)
    layer.b.array[...] = rng.normal(0, 1, 5)
    x = rng.normal(0, 1, (2, 6, 5, 7)).astype(np.float32)  # not square
    y, want = layer(x), layer.reference(x)
    assert y.shape == want.shape == (2, 5, 10, 14)
    # Both sum the same 9 * C products (the folded kernel's entries are
    # sums of up to four taps): each within 9 * C * eps/2 * sum |w x| of
    # the exact value, so within 9 * C * eps of each other (+ the bias's
    # one rounding).
    bound = 9 * 6 * EPS * (_abs_reference(layer, x) + np.abs(
        layer.b.array)[:, None, None])
    assert (np.abs(y.array - want.array) <= bound).all()
    # The weights get the definition's gradient.
    gy = rng.normal(0, 1, y.shape).astype(np.float32)
    grads = []
    for out in (y, want):
        layer.cleargrads()
        out.grad = gy
        out.backward()
        grads.append(layer.W.grad.copy())
    # Each entry sums N * 2H * 2W = 280 products gy * x: within 280 * eps
    # * sum |gy x| <= 280 * eps * sum |gy| * max |x| of each other.
    bound = 2 * 10 * 14 * EPS * np.abs(gy).sum() * np.abs(x).max()
    assert np.abs(grads[1]).max() > 100 * bound
    assert np.abs(grads[0] - grads[1]).max() <= bound
