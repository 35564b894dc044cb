"""StarGAN's objective, pinned: D's and G's losses are the documented sums
with train.py's default weights (lambda_cls 1, lambda_rec 10, lambda_gp
10), against a computation by hand (numpy) on a tiny float64 batch.

    L_D = -E[D_src(x)] + E[D_src(G(x, c'))] + lambda_cls * L_cls(D_cls(x), c)
          + lambda_gp * E[(||grad D_src(x_hat)||_2 - 1)^2]
    L_G = -E[D_src(G(x, c'))] + lambda_cls * L_cls(D_cls(G(x, c')), c')
          + lambda_rec * E|x - G(G(x, c'), c)|

L_cls is softmax cross-entropy for one exclusive group, else sigmoid
cross-entropy summed over labels and averaged over the batch.
"""
import inspect

import numpy as np
import pytest

import chainer

from faceapp import quality_options
from faceapp import train_options
from stargan.models import stargan as networks
from updaters import StarGANUpdater

LAMBDAS = dict(lambda_cls=1., lambda_rec=10., lambda_gp=10.)
# float64 networks: the two computations differ by rounding of ~1e-16 per
# operation over a few thousand operations, far inside this tolerance.
RTOL = 1e-9


def _train_py_weights(dis_head, group_sizes):
    """train.py's weights with no flag given, as a run resolves them."""
    opts = dict(vars(train_options.build_parser(None).parse_args([])),
                dis_head=dis_head)
    quality_options.resolve_dis_head(opts, group_sizes)
    return {k: opts[k] for k in LAMBDAS}


def test_train_py_and_the_updater_default_to_the_papers_weights():
    # The paper's weights with the paper's D: one shared real/fake map
    # (the default, and auto when the labels are several groups).
    default = train_options.build_parser(None).parse_args([]).dis_head
    assert _train_py_weights(default, [5]) == LAMBDAS
    assert _train_py_weights('auto', [3, 2]) == LAMBDAS
    params = inspect.signature(StarGANUpdater).parameters
    assert {k: params[k].default for k in LAMBDAS} == LAMBDAS
    # A map per domain checks the domain too: the classification weighs
    # half (docs/QUALITY.md); the other weights stay the paper's.
    assert _train_py_weights('auto', [5]) == dict(LAMBDAS, lambda_cls=.5)


def _setup(group_sizes, n=4, size=16, per_domain=False, **kwargs):
    c_dim = sum(group_sizes)
    with chainer.using_config('dtype', np.float64):
        np.random.seed(0)
        gen = networks.Generator(c_dim, conv_dim=4, n_res=1)
        dis = networks.Discriminator(size, c_dim, conv_dim=4, n_down=3,
                                     per_domain=per_domain)
    rng = np.random.RandomState(1)
    x = rng.uniform(-1, 1, (n, 3, size, size))
    if len(group_sizes) == 1:
        c_org = np.eye(c_dim)[np.arange(n) % c_dim]
        c_trg = np.eye(c_dim)[(np.arange(n) + 1) % c_dim]
    else:
        c_org = rng.randint(0, 2, (n, c_dim)).astype(np.float64)
        c_trg = 1 - c_org
    it = chainer.iterators.SerialIterator(
        chainer.datasets.TupleDataset(x, c_org), n, shuffle=False)
    opts = [chainer.optimizers.SGD(0.1) for _ in range(2)]
    opts[0].setup(gen)
    opts[1].setup(dis)
    updater = StarGANUpdater(it, gen, dis, opts[0], opts[1], group_sizes,
                             seed=3, **kwargs)  # the default weights
    return updater, x, c_org, c_trg


def _cls_loss(logits, labels, group_sizes):
    if len(group_sizes) == 1:
        z = logits - logits.max(1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
        return -log_p[np.arange(len(z)), labels.argmax(1)].mean()
    # log(1 + e^z) - t z, summed over labels, averaged over the batch.
    return (np.logaddexp(0, logits) - labels * logits).sum(1).mean()


def _scores(dis, x):
    src, cls = dis(x)
    return src.array, cls.array


def _input_gradient(dis, x_hat):
    """d sum(D_src(x_hat)) / d x_hat by plain backprop."""
    v = chainer.Variable(x_hat)
    chainer.functions.sum(dis(v)[0]).backward()
    dis.cleargrads()
    return v.grad


def _reported(fn, observer, name, *args):
    reporter = chainer.Reporter()
    reporter.add_observer(name, observer)
    obs = {}
    with reporter.scope(obs):
        loss = fn(*args)
    return float(loss.array), {k: float(chainer.as_array(v))
                               for k, v in obs.items()}


@pytest.mark.parametrize('group_sizes', [[3], [1, 1, 1]])
def test_d_loss_is_the_documented_sum(group_sizes):
    updater, x, c_org, c_trg = _setup(group_sizes)
    gen, dis = updater.generator, updater.discriminator
    # The interpolation points the updater will draw from its own stream.
    alpha = np.random.RandomState(3).uniform(size=(len(x), 1, 1, 1))
    loss, obs = _reported(updater.dis_loss, dis, 'dis', x, c_org, c_trg)

    src_real, cls_real = _scores(dis, x)
    fake = gen(x, c_trg).array
    src_fake, _ = _scores(dis, fake)
    x_hat = alpha * x + (1 - alpha) * fake
    grad = _input_gradient(dis, x_hat).reshape(len(x), -1)
    gp = ((np.sqrt((grad ** 2).sum(1) + 1e-12) - 1) ** 2).mean()
    cls = _cls_loss(cls_real, c_org, group_sizes)
    adv = src_fake.mean() - src_real.mean()
    assert obs['dis/loss_gp'] == pytest.approx(gp, rel=RTOL)
    assert obs['dis/loss_cls'] == pytest.approx(cls, rel=RTOL)
    assert obs['dis/loss_real'] == pytest.approx(-src_real.mean(), rel=RTOL)
    assert obs['dis/loss_fake'] == pytest.approx(src_fake.mean(), rel=RTOL)
    assert loss == pytest.approx(adv + 1. * cls + 10. * gp, rel=RTOL)
    # Every weighted term shows at this tolerance (a wrong weight fails).
    assert min(abs(cls), 9 * gp) > 1e3 * RTOL * abs(loss)


@pytest.mark.parametrize('group_sizes', [[3], [1, 1, 1]])
def test_g_loss_is_the_documented_sum(group_sizes):
    updater, x, c_org, c_trg = _setup(group_sizes)
    gen, dis = updater.generator, updater.discriminator
    loss, obs = _reported(updater.gen_loss, gen, 'gen', x, c_org, c_trg)

    fake = gen(x, c_trg).array
    src_fake, cls_fake = _scores(dis, fake)
    rec = np.abs(x - gen(fake, c_org).array).mean()
    cls = _cls_loss(cls_fake, c_trg, group_sizes)
    assert obs['gen/loss_fake'] == pytest.approx(-src_fake.mean(), rel=RTOL)
    assert obs['gen/loss_cls'] == pytest.approx(cls, rel=RTOL)
    assert obs['gen/loss_rec'] == pytest.approx(rec, rel=RTOL)
    assert loss == pytest.approx(-src_fake.mean() + 1. * cls + 10. * rec,
                                 rel=RTOL)
    assert min(abs(cls), 9 * rec) > 1e3 * RTOL * abs(loss)


def _softplus(z):
    return np.logaddexp(0, z)


@pytest.mark.parametrize('group_sizes', [[3], [1, 1, 1]])
def test_the_r1_objective_is_the_documented_sum(group_sizes):
    # --adversarial r1: L_D = E[softplus(-D(x))] + E[softplus(D(G(x, c')))]
    #   + lambda_cls * L_cls + lambda_r1 / 2 * E|grad_x mean D_src(x)|^2
    # and G's adversarial term E[softplus(-D(G(x, c')))].
    updater, x, c_org, c_trg = _setup(group_sizes, adversarial='r1',
                                      lambda_r1=3.)
    gen, dis = updater.generator, updater.discriminator
    loss, obs = _reported(updater.dis_loss, dis, 'dis', x, c_org, c_trg)
    src_real, cls_real = _scores(dis, x)
    src_fake, _ = _scores(dis, gen(x, c_trg).array)
    cells = src_real[0].size
    grad = _input_gradient(dis, x).reshape(len(x), -1) / cells
    r1 = (grad ** 2).sum(1).mean()
    cls = _cls_loss(cls_real, c_org, group_sizes)
    adv = _softplus(-src_real).mean() + _softplus(src_fake).mean()
    assert obs['dis/loss_gp'] == pytest.approx(r1, rel=RTOL)
    assert loss == pytest.approx(adv + 1. * cls + 1.5 * r1, rel=RTOL)
    assert min(abs(cls), 1.4 * r1) > 1e3 * RTOL * abs(loss)

    _, g_obs = _reported(updater.gen_loss, gen, 'gen', x, c_org, c_trg)
    src_fake, _ = _scores(dis, gen(x, c_trg).array)
    assert g_obs['gen/loss_fake'] == pytest.approx(
        _softplus(-src_fake).mean(), rel=RTOL)


def _own_map(src, c):
    """Each image's map of its domain, by plain indexing."""
    return src[np.arange(len(src)), c.argmax(1)]


def _own_map_gradient(dis, x_hat, c):
    """d sum(D_src(x_hat)[i, domain of c_i]) / d x_hat by plain backprop."""
    v = chainer.Variable(x_hat)
    src = dis(v)[0]
    chainer.functions.sum(src[np.arange(len(x_hat)), c.argmax(1)]).backward()
    dis.cleargrads()
    return v.grad


@pytest.mark.parametrize('lambda_cls', [1., .5])
def test_a_per_domain_critic_scores_each_image_on_its_domains_map(
        lambda_cls):
    # --dis-head per-domain: D_src has one map per domain; a real image is
    # scored on its own domain's map, a translation on its target's, and the
    # penalty is taken on the target's map (the one G's gradient comes from).
    # 0.5: train.py's weight with these maps.
    updater, x, c_org, c_trg = _setup([3], per_domain=True,
                                      lambda_cls=lambda_cls)
    gen, dis = updater.generator, updater.discriminator
    alpha = np.random.RandomState(3).uniform(size=(len(x), 1, 1, 1))
    loss, obs = _reported(updater.dis_loss, dis, 'dis', x, c_org, c_trg)
    src_real, cls_real = _scores(dis, x)
    assert src_real.shape[1] == 3
    fake = gen(x, c_trg).array
    real = _own_map(src_real, c_org)
    faked = _own_map(_scores(dis, fake)[0], c_trg)
    x_hat = alpha * x + (1 - alpha) * fake
    grad = _own_map_gradient(dis, x_hat, c_trg).reshape(len(x), -1)
    gp = ((np.sqrt((grad ** 2).sum(1) + 1e-12) - 1) ** 2).mean()
    cls = _cls_loss(cls_real, c_org, [3])
    assert obs['dis/loss_real'] == pytest.approx(-real.mean(), rel=RTOL)
    assert obs['dis/loss_fake'] == pytest.approx(faked.mean(), rel=RTOL)
    assert obs['dis/loss_gp'] == pytest.approx(gp, rel=RTOL)
    assert loss == pytest.approx(
        faked.mean() - real.mean() + lambda_cls * cls + 10 * gp, rel=RTOL)
    # The other maps differ, so scoring on a wrong one would show.
    other = _own_map(src_real, c_trg)
    assert abs(other.mean() - real.mean()) > 1e3 * RTOL * abs(real.mean())

    g_loss, g_obs = _reported(updater.gen_loss, gen, 'gen', x, c_org, c_trg)
    assert g_obs['gen/loss_fake'] == pytest.approx(-faked.mean(), rel=RTOL)
    g_cls = _cls_loss(_scores(dis, fake)[1], c_trg, [3])
    rec = np.abs(x - gen(fake, c_org).array).mean()
    assert g_loss == pytest.approx(
        -faked.mean() + lambda_cls * g_cls + 10 * rec, rel=RTOL)


def test_a_per_domain_r1_penalty_is_taken_on_the_reals_own_maps():
    updater, x, c_org, c_trg = _setup([3], per_domain=True,
                                      adversarial='r1')
    dis = updater.discriminator
    _, obs = _reported(updater.dis_loss, dis, 'dis', x, c_org, c_trg)
    cells = _scores(dis, x)[0][0, 0].size
    grad = _own_map_gradient(dis, x, c_org).reshape(len(x), -1) / cells
    assert obs['dis/loss_gp'] == pytest.approx((grad ** 2).sum(1).mean(),
                                               rel=RTOL)


def test_an_unknown_adversarial_loss_is_refused_by_name():
    with pytest.raises(ValueError, match='adversarial'):
        _setup([3], adversarial='hinge')
