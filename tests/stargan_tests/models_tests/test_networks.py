import numpy as np
import pytest

import chainer

from stargan.models import stargan as networks
from stargan import presets


def _build(name, c_dim=5):
    p = presets.get_preset(name)
    gen = networks.Generator(c_dim, p['g_conv_dim'], p['g_res'])
    dis = networks.Discriminator(p['image_size'], c_dim, p['d_conv_dim'],
                                 p['d_down'])
    return p, gen, dis


def _n_params(link):
    return sum(p.size for p in link.params())


@pytest.mark.parametrize('name', sorted(presets.PRESETS))
def test_shapes_for_every_preset(name):
    p, gen, dis = _build(name)
    s = p['image_size']
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (1, 3, s, s)).astype(np.float32)
    c = np.eye(5, dtype=np.float32)[[2]]
    with chainer.no_backprop_mode():
        y = gen(x, c)
        src, cls = dis(y)
    assert y.shape == (1, 3, s, s) and y.dtype == np.float32
    assert np.abs(y.array).max() <= 1
    patch = s // 2 ** p['d_down']
    assert src.shape == (1, 1, patch, patch)
    assert cls.shape == (1, 5)


def test_paper_preset_matches_the_papers_parameter_counts():
    # StarGAN (Choi et al. 2018) at 128 px with 5 RaFD-style labels:
    # G 8.43M, D 44.76M parameters.
    _, gen, dis = _build('paper')
    assert round(_n_params(gen) / 1e6, 2) == 8.43
    assert round(_n_params(dis) / 1e6, 2) == 44.76


@pytest.mark.parametrize('size', [32, 64, 96])
def test_classification_head_adapts_to_image_size(size):
    dis = networks.Discriminator(size, 3, conv_dim=4, n_down=4)
    _, cls = dis(np.zeros((2, 3, size, size), np.float32))
    assert cls.shape == (2, 3)


def test_a_per_domain_discriminator_has_a_real_fake_map_per_label():
    x = np.zeros((2, 3, 32, 32), np.float32)
    src, _ = networks.Discriminator(32, 3, conv_dim=4, n_down=4)(x)
    assert src.shape == (2, 1, 2, 2)
    src, cls = networks.Discriminator(32, 3, conv_dim=4, n_down=4,
                                      per_domain=True)(x)
    assert src.shape == (2, 3, 2, 2) and cls.shape == (2, 3)


def test_minibatch_stddev_appends_the_batchs_spread():
    rng = np.random.RandomState(0)
    h = rng.randn(3, 4, 2, 2).astype(np.float32)
    got = networks.minibatch_stddev(h).array
    assert got.shape == (3, 5, 2, 2)
    np.testing.assert_array_equal(got[:, :4], h)
    want = np.sqrt(h.astype(np.float64).var(axis=0) + 1e-8).mean()
    # A few float32 operations on values of order 1, means of <= 16 terms.
    np.testing.assert_allclose(got[:, 4], want, rtol=1e-5)
    same = np.broadcast_to(h[:1], h.shape)  # no spread at all
    assert networks.minibatch_stddev(same).array[:, 4].max() < 1e-3


def test_with_minibatch_std_an_images_scores_depend_on_its_batch():
    rng = np.random.RandomState(1)
    x = rng.uniform(-1, 1, (3, 3, 16, 16)).astype(np.float32)
    other = x.copy()
    other[2] = rng.uniform(-1, 1, (3, 16, 16))
    for coupled in (False, True):
        np.random.seed(0)
        dis = networks.Discriminator(16, 3, conv_dim=4, n_down=3,
                                     minibatch_std=coupled)
        dis.src.W.array[:, -1] += 1.  # make the spread channel count
        a, b = dis(x)[0].array[0], dis(other)[0].array[0]
        assert (not np.array_equal(a, b)) == coupled
    assert dis.src.W.shape[1] == 4 * 2 ** 2 + 1


def test_discriminator_rejects_sizes_it_cannot_classify():
    with pytest.raises(ValueError, match=r'image size 40 .* = 16'):
        networks.Discriminator(40, 3, conv_dim=4, n_down=4)


def test_generator_depends_on_the_target_label():
    _, gen, _ = _build('tiny')
    x = np.random.RandomState(1).uniform(-1, 1, (2, 3, 32, 32)).astype('f')
    eye = np.eye(5, dtype=np.float32)
    with chainer.no_backprop_mode():
        a = gen(x, eye[[0, 0]]).array
        b = gen(x, eye[[3, 3]]).array
    assert np.abs(a - b).mean() > 1e-4


def test_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ValueError, match='paper'):
        presets.get_preset('huge')
