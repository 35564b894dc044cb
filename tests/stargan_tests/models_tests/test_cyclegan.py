"""CycleGAN networks and loss functions."""
import numpy as np
import pytest

import chainer
from chainer import testing

from stargan.losses import cyclegan as cl
from stargan.models import classifier
from stargan.models import cyclegan
from stargan import presets


def _x(n=2, size=16, seed=0):
    return np.random.RandomState(seed).uniform(
        -1, 1, (n, 3, size, size)).astype(np.float32)


def _n_params(link):
    return sum(p.size for p in link.params())


@testing.parameterize(*testing.product({
    'size': [16, 32], 'kernel_size': [3, 5]}))
class TestShapes(object):

    def test_generator_keeps_shape_and_range(self):
        gen = cyclegan.ResnetGenerator(4, 2, self.kernel_size)
        with chainer.no_backprop_mode():
            e = gen.encode(_x(size=self.size))
            y = gen.decode(e)
        assert e.shape == (2, 16, self.size // 4, self.size // 4)
        assert gen.embedding_channels == 16
        assert y.shape == (2, 3, self.size, self.size)
        assert y.dtype == np.float32 and np.abs(y.array).max() <= 1

    def test_discriminator_gives_a_patch_map(self):
        dis = cyclegan.PatchDiscriminator(4, 2, self.kernel_size, self.size)
        p = cyclegan.patch_output_size(self.size, 2)
        assert dis(_x(size=self.size)).shape == (2, 1, p, p)


def test_forward_is_decode_of_encode():
    gen = cyclegan.ResnetGenerator(4, 3)
    x = _x()
    with chainer.no_backprop_mode():
        np.testing.assert_allclose(gen(x).array,
                                   gen.decode(gen.encode(x)).array)
    assert gen.n_encoder_blocks == 1


def test_70px_patchgan_map_sizes_match_the_paper():
    # 256 px -> 30x30 scores, 128 px -> 14x14 (pix2pix/CycleGAN code).
    assert cyclegan.patch_output_size(256, 3) == 30
    assert cyclegan.patch_output_size(128, 3) == 14


def test_paper_sizes_have_the_reference_parameter_counts():
    # The reference ResNet-9 generator has 11.38M parameters and the 70x70
    # PatchGAN 2.77M (ours: IN scales instead of pre-norm biases).
    p = presets.CYCLEGAN_PRESETS['paper256']
    gen = cyclegan.ResnetGenerator(p['g_conv_dim'], p['g_res'])
    dis = cyclegan.PatchDiscriminator(p['d_conv_dim'], p['d_layers'])
    assert round(_n_params(gen) / 1e6, 2) == 11.38
    assert round(_n_params(dis) / 1e6, 2) == 2.77


def test_larger_kernels_are_used_everywhere_they_should_be():
    gen = cyclegan.ResnetGenerator(2, 1, kernel_size=5)
    dis = cyclegan.PatchDiscriminator(2, 2, kernel_size=5)
    assert gen.res[0].c1.W.shape[2:] == (5, 5)
    assert gen.down1.W.shape[2:] == (5, 5) and gen.up1.W.shape[2:] == (5, 5)
    assert gen.c_in.W.shape[2:] == (7, 7)
    assert dis.out.W.shape[2:] == (6, 6)


@pytest.mark.parametrize('k', [2, 4, 1, 3.5])
def test_bad_kernel_size_is_refused(k):
    with pytest.raises(ValueError, match='odd'):
        cyclegan.ResnetGenerator(2, 1, kernel_size=k)


def test_too_small_images_are_refused():
    with pytest.raises(ValueError, match='too small'):
        cyclegan.PatchDiscriminator(2, 3, image_size=16)


def test_embedding_discriminator_scores_each_position():
    dis = cyclegan.EmbeddingDiscriminator(16, 4)
    e = np.zeros((3, 16, 4, 4), np.float32)
    assert dis(e).shape == (3, 1, 4, 4)


# Losses -------------------------------------------------------------------

def test_soft_targets_stay_in_range_and_use_the_given_stream():
    rng = np.random.RandomState(0)
    real = cl.soft_targets(rng, (500, 1, 2, 2), True, 0.2)
    fake = cl.soft_targets(rng, (500, 1, 2, 2), False, 0.2)
    assert real.dtype == np.float32 and real.shape == (500, 1, 2, 2)
    assert 0.8 <= real.min() and real.max() <= 1 and real.std() > 0.04
    assert 0 <= fake.min() and fake.max() <= 0.2 and fake.std() > 0.04
    again = cl.soft_targets(np.random.RandomState(0), (500, 1, 2, 2), True,
                            0.2)
    np.testing.assert_array_equal(real, again)


def test_zero_noise_gives_hard_targets_without_drawing():
    rng = np.random.RandomState(0)
    state = rng.get_state()[1].copy()
    np.testing.assert_array_equal(cl.soft_targets(rng, (2, 3), True, 0), 1)
    np.testing.assert_array_equal(cl.soft_targets(rng, (2, 3), False, 0), 0)
    np.testing.assert_array_equal(rng.get_state()[1], state)
    with pytest.raises(ValueError, match='label noise'):
        cl.soft_targets(rng, (2,), True, 1.5)


REAL = np.array([[1.], [0.5]], np.float32)
FAKE = np.array([[0.], [-1.]], np.float32)


def test_lsgan_losses_on_known_scores():
    d = cl.dis_adv_loss('lsgan', REAL, FAKE)
    assert float(d.array) == pytest.approx(0.5 * (0.125 + 0.5))
    d = cl.dis_adv_loss('lsgan', REAL, FAKE, 0.5, 0.5)
    assert float(d.array) == pytest.approx(0.5 * (0.125 + 1.25))
    assert float(cl.gen_adv_loss('lsgan', FAKE).array) == pytest.approx(2.5)


def test_vanilla_losses_are_sigmoid_cross_entropy():
    zero = np.zeros((4, 1), np.float32)
    assert float(cl.dis_adv_loss('vanilla', zero, zero).array) == \
        pytest.approx(np.log(2))
    assert float(cl.gen_adv_loss('vanilla', FAKE).array) == pytest.approx(
        np.mean(np.log1p(np.exp(-FAKE))))
    big = np.full((1, 1), 80., np.float32)  # stable at large logits
    assert float(cl.dis_adv_loss('vanilla', big, -big).array) == \
        pytest.approx(0, abs=1e-6)


def test_wgan_losses_ignore_targets():
    d = cl.dis_adv_loss('wgan-gp', REAL, FAKE, 0.9, 0.1)
    assert float(d.array) == pytest.approx(-0.5 - 0.75)
    assert float(cl.gen_adv_loss('wgan-gp', FAKE).array) == pytest.approx(
        0.5)


def test_unknown_gan_loss_lists_the_kinds():
    with pytest.raises(ValueError, match='lsgan, vanilla, wgan-gp'):
        cl.gen_adv_loss('hinge', FAKE)


def test_l1_and_embedding_losses_on_known_inputs():
    a, b = np.zeros((1, 3, 2, 2), np.float32), np.ones((1, 3, 2, 2),
                                                       np.float32)
    assert float(cl.l1_loss(a, chainer.Variable(b)).array) == 1
    zero = np.zeros((2, 1, 2, 2), np.float32)
    assert float(cl.embedding_dis_loss(zero, zero).array) == pytest.approx(
        np.log(2))
    big = np.full((2, 1), 50., np.float32)
    assert float(cl.embedding_gen_loss(big, from_a=True).array) == \
        pytest.approx(50)
    assert float(cl.embedding_gen_loss(big, from_a=False).array) == \
        pytest.approx(0, abs=1e-6)


def test_perceptual_loss_is_zero_for_equal_images_and_differentiable():
    clf = classifier.DomainClassifier(3, width=2)

    def features(v):
        return cl.classifier_feature_maps(clf, v)
    x = _x()
    assert [f.shape[1:] for f in features(x)] == [
        (2, 16, 16), (4, 8, 8), (8, 4, 4), (16, 2, 2)]
    assert float(cl.perceptual_loss(features, x, x).array) == 0
    y = chainer.Variable(_x(seed=1))
    loss = cl.perceptual_loss(features, x, y)
    loss.backward()
    assert float(loss.array) > 0 and np.abs(y.grad).sum() > 0


class _EchoVGG(object):
    """Stands in for L.VGG16Layers: returns its input for every layer."""

    def forward(self, x, layers):
        return {name: x for name in layers}


def test_vgg_features_get_imagenet_bgr_inputs():
    x = np.zeros((1, 3, 2, 2), np.float32)
    x[:, 0] = 1  # pure red in [-1, 1]
    out, = cl.vgg_feature_maps(_EchoVGG(), chainer.Variable(x),
                               layers=['conv1_2'])
    # Red ends up in the last (R of BGR) channel at 255 minus its mean.
    np.testing.assert_allclose(out.array[0, :, 0, 0], [
        127.5 - 103.939, 127.5 - 116.779, 255 - 123.68], rtol=1e-5)
