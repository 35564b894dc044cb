"""StarGANUpdater with the attention-mask generator: G's mask losses."""
import numpy as np
import pytest

import chainer

from stargan import attention
from stargan.models import stargan as networks
from updaters import StarGANUpdater

SIZE, C_DIM = 16, 3


def _make(gen_class=attention.AttentionGenerator, **kwargs):
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (8, 3, SIZE, SIZE)).astype(np.float32)
    c = np.eye(C_DIM, dtype=np.float32)[np.arange(8) % C_DIM]
    it = chainer.iterators.SerialIterator(
        chainer.datasets.TupleDataset(x, c), 4, shuffle=False)
    np.random.seed(0)
    gen = gen_class(C_DIM, conv_dim=4, n_res=1)
    dis = networks.Discriminator(SIZE, C_DIM, conv_dim=4, n_down=3)
    opts = []
    for model in (gen, dis):
        opt = chainer.optimizers.Adam(1e-4, 0.5, 0.999)
        opt.setup(model)
        opts.append(opt)
    updater = StarGANUpdater(it, gen, dis, opts[0], opts[1], [C_DIM],
                             n_critic=1, **kwargs)
    reporter = chainer.Reporter()
    reporter.add_observer('gen', gen)
    reporter.add_observer('dis', dis)
    return updater, reporter, x[:4], c[:4]


def _gen_terms(updater, reporter, x, c_org, c_trg):
    obs = {}
    with reporter.scope(obs):
        updater.gen_loss(x, c_org, c_trg)
    return {k: float(chainer.as_array(v)) for k, v in obs.items()}


def test_a_step_reports_the_mask_losses_under_gen():
    updater, reporter, _, _ = _make()
    obs = {}
    with reporter.scope(obs):
        updater.update()
    for k in ('gen/loss_mask', 'gen/loss_mask_tv'):
        assert 0 < float(chainer.as_array(obs[k])) <= 1, k
    assert updater.get_optimizer('gen').t == 1


def test_the_g_loss_adds_the_weighted_mask_losses_of_both_masks():
    updater, reporter, x, c_org = _make(lambda_mask=0.3, lambda_mask_tv=2.)
    c_trg = np.roll(c_org, 1, axis=1)
    got = _gen_terms(updater, reporter, x, c_org, c_trg)
    gen = updater.generator
    fake, a_fake = gen.forward_with_mask(x, c_trg)
    _, a_rec = gen.forward_with_mask(fake, c_org)
    want = attention.mask_losses([a_fake, a_rec])
    for k in ('loss_mask', 'loss_mask_tv'):
        assert got['gen/' + k] == float(want[k].array)
    total = (got['gen/loss_fake'] + got['gen/loss_cls']
             + 10 * got['gen/loss_rec'] + 0.3 * got['gen/loss_mask']
             + 2 * got['gen/loss_mask_tv'])
    # Six float32 terms of magnitude < 10 summed: each rounding within
    # 2**-24 relative; 1e-5 absolute is well above their sum.
    assert got['gen/loss'] == pytest.approx(total, rel=0, abs=1e-5)
    # The weights matter: without them the mask terms drop out of G's loss.
    updater.lambda_mask = updater.lambda_mask_tv = 0.
    unweighted = _gen_terms(updater, reporter, x, c_org, c_trg)
    assert unweighted['gen/loss'] == pytest.approx(
        total - 0.3 * got['gen/loss_mask'] - 2 * got['gen/loss_mask_tv'],
        rel=0, abs=1e-5)
    assert abs(unweighted['gen/loss'] - got['gen/loss']) > 0.1


def test_a_plain_generator_reports_no_mask_losses():
    updater, reporter, x, c = _make(networks.Generator)
    got = _gen_terms(updater, reporter, x, c, np.roll(c, 1, axis=1))
    assert 'gen/loss_rec' in got
    assert not [k for k in got if 'mask' in k]
