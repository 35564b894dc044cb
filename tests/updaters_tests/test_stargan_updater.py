import numpy as np
import pytest

import chainer

from stargan.models import stargan as networks
from updaters import StarGANUpdater


def _make(n_critic=3, seed=0, n=12, size=16, c_dim=3):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, (n, 3, size, size)).astype(np.float32)
    c = np.eye(c_dim, dtype=np.float32)[np.arange(n) % c_dim]
    it = chainer.iterators.SerialIterator(
        chainer.datasets.TupleDataset(x, c), 4, shuffle=False)
    np.random.seed(seed)
    gen = networks.Generator(c_dim, conv_dim=4, n_res=1)
    dis = networks.Discriminator(size, c_dim, conv_dim=4, n_down=3)
    opts = []
    for model in (gen, dis):
        opt = chainer.optimizers.Adam(1e-4, 0.5, 0.999)
        opt.setup(model)
        opts.append(opt)
    updater = StarGANUpdater(it, gen, dis, opts[0], opts[1], [c_dim],
                             n_critic=n_critic, seed=seed)
    reporter = chainer.Reporter()
    reporter.add_observer('gen', gen)
    reporter.add_observer('dis', dis)
    return updater, reporter


def _step(updater, reporter):
    obs = {}
    with reporter.scope(obs):
        updater.update()
    return obs


def test_d_every_iteration_g_every_n_critic():
    updater, reporter = _make(n_critic=3)
    gen_steps = []
    for i in range(7):
        obs = _step(updater, reporter)
        gen_steps.append('gen/loss' in obs)
        assert 'dis/loss' in obs
    assert gen_steps == [False, False, True, False, False, True, False]
    assert updater.get_optimizer('dis').t == 7
    assert updater.get_optimizer('gen').t == 2


def test_every_loss_term_is_reported_and_finite():
    updater, reporter = _make(n_critic=1)
    obs = _step(updater, reporter)
    keys = {'dis/loss', 'dis/loss_real', 'dis/loss_fake', 'dis/loss_cls',
            'dis/loss_gp', 'dis/acc', 'gen/loss', 'gen/loss_fake',
            'gen/loss_cls', 'gen/loss_rec'}
    assert keys <= set(obs)
    for k in keys:
        assert np.isfinite(float(chainer.as_array(obs[k])))


def test_d_step_changes_only_d_and_g_step_changes_g():
    updater, reporter = _make(n_critic=2)
    gen, dis = updater.generator, updater.discriminator
    g0 = [p.array.copy() for p in gen.params()]
    d0 = [p.array.copy() for p in dis.params()]
    _step(updater, reporter)  # D only
    assert all(np.array_equal(a, p.array) for a, p in zip(g0, gen.params()))
    assert not all(np.array_equal(a, p.array)
                   for a, p in zip(d0, dis.params()))
    _step(updater, reporter)  # D and G
    assert not all(np.array_equal(a, p.array)
                   for a, p in zip(g0, gen.params()))


def test_gradients_are_dropped_after_each_step():
    # They would hold memory through the next step (and G's loss would add
    # into D's); the updates themselves must still use them.
    updater, reporter = _make(n_critic=1)
    gen, dis = updater.generator, updater.discriminator
    d0 = [p.array.copy() for p in dis.params()]
    _step(updater, reporter)
    assert all(p.grad is None for p in gen.params())
    assert all(p.grad is None for p in dis.params())
    assert not all(np.array_equal(a, p.array)
                   for a, p in zip(d0, dis.params()))


def test_g_loss_computes_no_gradient_for_d():
    updater, reporter = _make()
    gen, dis = updater.generator, updater.discriminator
    x = np.zeros((2, 3, 16, 16), np.float32)
    c = np.eye(3, dtype=np.float32)[[0, 1]]
    dis.cleargrads()
    with reporter.scope({}):
        updater.gen_loss(x, c, c[::-1]).backward()
    assert all(p.grad is None for p in dis.params())
    assert all(p.grad is not None for p in gen.params())


def test_random_stream_survives_serialization():
    updater, reporter = _make(n_critic=1)
    _step(updater, reporter)
    saved = {}
    updater.serialize(chainer.serializers.DictionarySerializer(saved))
    expected = updater.rng.uniform(size=5)
    other, _ = _make(n_critic=1, seed=7)
    other.serialize(chainer.serializers.NpzDeserializer(saved))
    np.testing.assert_array_equal(other.rng.uniform(size=5), expected)
    assert other.iteration == updater.iteration


def _one_step_with_penalty(device):
    """Parameters (on the host) after one D and G step, with lambda_gp 10,
    of float64 networks and SGD, so that they differ by the gradients."""
    with chainer.using_config('dtype', np.float64):
        np.random.seed(0)
        gen = networks.Generator(3, conv_dim=4, n_res=1)
        dis = networks.Discriminator(16, 3, conv_dim=4, n_down=3)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (4, 3, 16, 16))
    c = np.eye(3)[np.arange(4) % 3]
    it = chainer.iterators.SerialIterator(
        chainer.datasets.TupleDataset(x, c), 4, shuffle=False)
    opts = []
    for model in (gen, dis):
        model.to_device(device)
        opt = chainer.optimizers.SGD(0.1)
        opt.setup(model)
        opts.append(opt)
    updater = StarGANUpdater(it, gen, dis, opts[0], opts[1], [3],
                             n_critic=1, lambda_gp=10., device=device, seed=0)
    reporter = chainer.Reporter()
    reporter.add_observer('gen', gen)
    reporter.add_observer('dis', dis)
    obs = {}
    with reporter.scope(obs):
        updater.update()
    host = chainer.get_device('@numpy')
    params = {'gen' + k: host.send(p.array) for k, p in gen.namedparams()}
    params.update(('dis' + k, host.send(p.array))
                  for k, p in dis.namedparams())
    return params, {k: float(chainer.as_array(v)) for k, v in obs.items()}


@pytest.mark.gpu
@pytest.mark.skipif(not chainer.backends.cuda.available,
                    reason='needs CuPy with CUDA')
def test_one_step_with_gradient_penalty_on_gpu_matches_the_cpu():
    # The same random draws (the updater's own host stream), so both devices
    # compute the same losses and gradients; float64 rounding differs by
    # ~1e-13, far inside 1e-8.
    cpu, cpu_losses = _one_step_with_penalty('@numpy')
    gpu, gpu_losses = _one_step_with_penalty('@cupy:0')
    assert cpu_losses['dis/loss_gp'] > 0
    assert set(gpu_losses) == set(cpu_losses)
    for k in cpu_losses:
        np.testing.assert_allclose(gpu_losses[k], cpu_losses[k], rtol=1e-8,
                                   err_msg=k)
    assert set(gpu) == set(cpu)
    for k in cpu:
        np.testing.assert_allclose(gpu[k], cpu[k], rtol=1e-8, atol=1e-8,
                                   err_msg=k)


def _make_with(**kwargs):
    """``_make(n_critic=2)``'s updater with other keyword arguments."""
    updater, reporter = _make(n_critic=2)
    old = updater
    updater = StarGANUpdater(
        old.get_iterator('main'), old.generator, old.discriminator,
        old.get_optimizer('gen'), old.get_optimizer('dis'), [3], n_critic=2,
        seed=0, **kwargs)
    return updater, reporter


def test_the_average_of_g_follows_g_steps_only():
    updater, reporter = _make_with(ema_beta=0.999)
    gen, avg = updater.generator, updater.ema.average
    assert updater.inference_generator() is avg
    before = {k: p.array.copy() for k, p in avg.namedparams()}
    _step(updater, reporter)  # D only: the average stays
    for k, p in avg.namedparams():
        np.testing.assert_array_equal(p.array, before[k])
    _step(updater, reporter)  # G's first update: decay 0.1
    assert updater.ema.updates == 1
    raw = dict(gen.namedparams())
    for k, p in avg.namedparams():
        np.testing.assert_allclose(
            p.array, 0.1 * before[k] + 0.9 * raw[k].array, atol=1e-6)
        assert not np.array_equal(p.array, raw[k].array)
    saved = {}
    updater.serialize(chainer.serializers.DictionarySerializer(saved))
    assert saved['ema/updates'] == 1 and 'ema/average/c_in/W' in saved


def test_without_an_average_g_itself_is_shown():
    updater, _ = _make_with(ema_beta=0.)
    assert updater.ema is None
    assert updater.inference_generator() is updater.generator


def test_d_scores_augmented_images_in_both_steps(monkeypatch):
    from stargan import augment
    from stargan.labels import groups as label_utils
    updater, reporter = _make_with(augment='translation,cutout')
    gen, dis = updater.generator, updater.discriminator
    seen = []
    forward = dis.forward
    monkeypatch.setattr(dis, 'forward', lambda x: (
        seen.append(chainer.as_array(x).copy()), forward(x))[1])
    data = updater.get_iterator('main').dataset
    rng = np.random.RandomState()  # replays the updater's draws
    rng.set_state(updater.rng.get_state())
    aug = augment.DiffAugment('translation,cutout')
    for k in range(2):  # iteration 2 steps G too
        x = np.stack([data[i][0] for i in range(4 * k, 4 * k + 4)])
        c_trg = label_utils.random_labels(rng, 4, [3])
        with chainer.using_config('train', True), \
                chainer.no_backprop_mode():
            fake = gen(x, c_trg).array
        real_seen = aug(x, aug.draw(rng, 4, 16)).array
        fake_seen = aug(fake, aug.draw(rng, 4, 16)).array
        alpha = rng.uniform(size=(4, 1, 1, 1)).astype(np.float32)
        seen.clear()
        _step(updater, reporter)
        # real, fake, interpolates (the gradient penalty)
        np.testing.assert_array_equal(seen[0], real_seen)
        np.testing.assert_allclose(seen[1], fake_seen, atol=1e-6)
        np.testing.assert_allclose(
            seen[2], alpha * real_seen + (1 - alpha) * fake_seen, atol=1e-6)
        assert (seen[0] == 0).all(axis=1).any(axis=(1, 2)).all()  # cutouts
    assert len(seen) == 4  # then G's fake
    g_fake = aug(fake, aug.draw(rng, 4, 16)).array  # G unchanged since
    np.testing.assert_allclose(seen[3], g_fake, atol=1e-6)
    assert (seen[3] == 0).all(axis=1).any(axis=(1, 2)).all()


def test_g_gets_gradients_through_the_augmentation():
    updater, reporter = _make_with(augment='color,translation,cutout',
                                   lambda_rec=0.)
    gen = updater.generator
    x = np.random.RandomState(2).uniform(-1, 1, (4, 3, 16, 16)).astype(
        np.float32)
    c = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    gen.cleargrads()  # chainer fills new parameters' gradients with NaN
    with reporter.scope({}):
        updater.gen_loss(x, c, c[::-1]).backward()
    # No reconstruction term: every gradient came through D's augmented view.
    assert [n for n, p in gen.namedparams()
            if p.grad is None or not np.abs(p.grad).max() > 0] == []
