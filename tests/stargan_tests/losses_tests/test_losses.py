import numpy as np
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check

from stargan.losses import stargan as losses
from stargan.models import stargan as networks


def test_wgan_losses_on_known_scores():
    real = np.array([[1.], [3.]], np.float32)
    fake = np.array([[-1.], [0.]], np.float32)
    assert float(losses.wgan_dis_loss(real, fake).array) == pytest.approx(
        -0.5 - 2.)
    assert float(losses.wgan_gen_loss(fake).array) == pytest.approx(0.5)


def test_interpolate_endpoints_and_detachment():
    a = np.ones((2, 1, 2, 2), np.float32)
    b = np.zeros((2, 1, 2, 2), np.float32)
    alpha = np.array([1, 0.25], np.float32).reshape(2, 1, 1, 1)
    x_hat = losses.interpolate(chainer.Variable(a), b, alpha)
    np.testing.assert_allclose(x_hat.array[0], 1)
    np.testing.assert_allclose(x_hat.array[1], 0.25)
    assert x_hat.creator is None


def test_gradient_penalty_of_a_linear_critic_is_analytic():
    w = np.random.RandomState(0).randn(3, 4, 4)
    x = chainer.Variable(np.random.RandomState(1).randn(5, 3, 4, 4))
    gp = losses.gradient_penalty(lambda v: F.sum(v * w, axis=(1, 2, 3)), x)
    assert float(gp.array) == pytest.approx((np.linalg.norm(w) - 1) ** 2,
                                            rel=1e-9)


def _tiny_critic():
    dis = networks.Discriminator(16, 2, conv_dim=2, n_down=2)
    dis.to_device('@numpy')
    for p in dis.params():
        p.array = p.array.astype(np.float64)
    return lambda v: dis(v)[0], dis


def _numeric_input_gradient(total, x, h=1e-5):
    """Central differences of the scalar ``total(x)`` at every entry."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        grad[idx] = (total(up) - total(down)) / (2 * h)
    return grad


def _numeric_parameter_check(value, dis):
    """Backprop of ``value()`` into D's first weights matches central
    differences (the penalty is differentiable in D's parameters)."""
    W1 = dis.body[0].W
    dis.cleargrads()
    value().backward()
    analytic = W1.grad.copy()
    numeric, = gradient_check.numerical_grad(
        lambda: (value().array,), (W1.array,), (np.ones((), np.float64),),
        eps=1e-5)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-7)


def test_gradient_penalty_equals_finite_difference_estimate():
    critic, _ = _tiny_critic()
    x = np.random.RandomState(2).uniform(-1, 1, (2, 3, 16, 16))
    gp = losses.gradient_penalty(critic, chainer.Variable(x), eps=0)

    def total(v):
        with chainer.no_backprop_mode():
            return float(F.sum(critic(v)).array)

    grad = _numeric_input_gradient(total, x)
    norms = np.sqrt((grad.reshape(2, -1) ** 2).sum(1))
    expected = ((norms - 1) ** 2).mean()
    assert float(gp.array) == pytest.approx(expected, rel=1e-6)


def test_gradient_penalty_is_differentiable_in_the_critics_parameters():
    critic, dis = _tiny_critic()
    x = np.random.RandomState(3).uniform(-1, 1, (2, 3, 16, 16))
    _numeric_parameter_check(
        lambda: losses.gradient_penalty(critic, chainer.Variable(x)), dis)
    dis.cleargrads()
    losses.gradient_penalty(critic, chainer.Variable(x)).backward()
    assert dis.cls.W.grad is None or not np.any(dis.cls.W.grad)


def test_logistic_losses_on_known_scores():
    real = np.array([[1.], [3.]], np.float64)
    fake = np.array([[-1.], [0.]], np.float64)
    softplus = lambda z: np.log1p(np.exp(z))  # NOQA
    assert float(losses.logistic_dis_loss(real, fake).array) == \
        pytest.approx(softplus(-real).mean() + softplus(fake).mean())
    assert float(losses.logistic_gen_loss(fake).array) == pytest.approx(
        softplus(-fake).mean())


def test_r1_penalty_of_a_linear_critic_is_analytic():
    # A 2x2 logit map of one linear score per cell: the map's mean has
    # the gradient w.mean over cells, the same for every image.
    w = np.random.RandomState(0).randn(4, 3, 4, 4)
    x = chainer.Variable(np.random.RandomState(1).randn(5, 3, 4, 4))
    scores = F.reshape(F.tensordot(x, w, axes=([1, 2, 3], [1, 2, 3])),
                       (5, 1, 2, 2))
    r1 = losses.r1_penalty(scores, x)
    assert float(r1.array) == pytest.approx(
        (w.mean(axis=0) ** 2).sum(), rel=1e-9)


def test_r1_penalty_equals_finite_difference_estimate():
    critic, _ = _tiny_critic()
    x = np.random.RandomState(2).uniform(-1, 1, (2, 3, 16, 16))
    v = chainer.Variable(x)
    r1 = losses.r1_penalty(critic(v), v)

    def total(a):
        with chainer.no_backprop_mode():
            s = critic(a).array
            return float(s.reshape(len(a), -1).mean(axis=1).sum())

    grad = _numeric_input_gradient(total, x)
    expected = (grad.reshape(2, -1) ** 2).sum(1).mean()
    assert float(r1.array) == pytest.approx(expected, rel=1e-6)


def test_r1_penalty_is_differentiable_in_the_critics_parameters():
    critic, dis = _tiny_critic()
    x = np.random.RandomState(3).uniform(-1, 1, (2, 3, 16, 16))

    def r1_value():
        v = chainer.Variable(x)
        return losses.r1_penalty(critic(v), v)

    _numeric_parameter_check(r1_value, dis)


def test_classification_loss_softmax_for_single_label():
    logits = np.array([[2., 0., 0.], [0., 0., 0.]], np.float32)
    target = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
    p0 = np.exp(2) / (np.exp(2) + 2)
    expected = (-np.log(p0) - np.log(1 / 3)) / 2
    loss = losses.classification_loss(logits, target, [3])
    assert float(loss.array) == pytest.approx(expected, rel=1e-5)


def test_classification_loss_sigmoid_sums_labels_for_multi_label():
    logits = np.array([[0., 0., 0.]], np.float32)
    target = np.array([[1, 0, 1]], np.float32)
    loss = losses.classification_loss(logits, target, [2, 1])
    assert float(loss.array) == pytest.approx(3 * np.log(2), rel=1e-5)


def test_reconstruction_loss_is_mean_absolute_error():
    x = np.zeros((1, 3, 2, 2), np.float32)
    y = np.full((1, 3, 2, 2), -0.5, np.float32)
    assert float(losses.reconstruction_loss(x, y).array) == pytest.approx(
        0.5)


def test_domain_scores_keep_a_shared_map_and_pick_each_images_own():
    rng = np.random.RandomState(0)
    shared = chainer.Variable(rng.randn(3, 1, 2, 2).astype(np.float32))
    c = np.eye(4, dtype=np.float32)[[2, 0, 3]]
    assert losses.domain_scores(shared, c) is shared
    src = chainer.Variable(rng.randn(3, 4, 2, 2).astype(np.float32))
    picked = losses.domain_scores(src, c)
    assert picked.shape == (3, 1, 2, 2)
    # The masked sum adds three exact zeros to the picked value.
    np.testing.assert_array_equal(picked.array[:, 0],
                                  src.array[[0, 1, 2], [2, 0, 3]])
    F.sum(picked).backward()
    np.testing.assert_array_equal(src.grad, np.broadcast_to(
        c[:, :, None, None], src.shape))  # only the picked maps learn
