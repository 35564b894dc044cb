import numpy as np
import pytest

import chainer

from faceapp import cyclegan_wiring
from faceapp import snapshots
from stargan.models import classifier
from stargan.models import cyclegan
from updaters.cyclegan import CycleGANUpdater

GEN_KEYS = {'loss', 'loss_adv', 'loss_cycle', 'loss_idt'}
DIS_KEYS = {'loss', 'score_real', 'score_fake'}


def _make(seed=0, size=16, n=8, kernel_size=3, emb=False, **kw):
    rng = np.random.RandomState(0)  # the same data for every seed
    a, b = (rng.uniform(-1, 1, (n, 3, size, size)).astype(np.float32)
            for _ in range(2))
    it = chainer.iterators.SerialIterator(
        chainer.datasets.TupleDataset(a, b), 2, shuffle=False)
    np.random.seed(seed)
    models = dict(
        gen_ab=cyclegan.ResnetGenerator(4, 2, kernel_size),
        gen_ba=cyclegan.ResnetGenerator(4, 2, kernel_size),
        dis_a=cyclegan.PatchDiscriminator(4, 2, kernel_size, size),
        dis_b=cyclegan.PatchDiscriminator(4, 2, kernel_size, size))
    if emb:
        models['dis_emb'] = cyclegan.EmbeddingDiscriminator(16, 4)
    opts = {}
    for name, model in models.items():
        opts[name + '_opt'] = chainer.optimizers.Adam(2e-4, 0.5, 0.999)
        opts[name + '_opt'].setup(model)
    updater = CycleGANUpdater(it, seed=seed, pool_size=3, **models, **opts,
                              **kw)
    reporter = chainer.Reporter()
    for name, model in models.items():
        reporter.add_observer(name, model)
    return updater, reporter


def _step(updater, reporter):
    obs = {}
    with reporter.scope(obs):
        updater.update()
    return {k: float(chainer.as_array(v)) for k, v in obs.items()}


def _tiny_feature_net(tmp_path):
    path = str(tmp_path / 'features.npz')
    chainer.serializers.save_npz(path, classifier.DomainClassifier(
        3, width=2, n_stages=2))
    return path


def _features(tmp_path):
    return cyclegan_wiring.load_feature_network(_tiny_feature_net(tmp_path))


VARIANTS = {
    'lsgan': (dict(gan_loss='lsgan'), set(), set()),
    'vanilla': (dict(gan_loss='vanilla'), set(), set()),
    'wgan-gp': (dict(gan_loss='wgan-gp'), set(), {'loss_gp'}),
    'label-noise': (dict(gan_loss='lsgan', label_noise=0.2), set(), set()),
    'embedding': (dict(emb=True), {'loss_emb'}, set()),
    'kernel-5': (dict(kernel_size=5), set(), set()),
    'perceptual': (dict(features='tiny'), {'loss_perceptual'}, set()),
}


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_short_run_of_each_variant_reports_every_term(variant, tmp_path):
    kw, gen_extra, dis_extra = VARIANTS[variant]
    if kw.get('features') == 'tiny':
        kw = dict(kw, features=_features(tmp_path))
    updater, reporter = _make(**kw)
    for _ in range(2):
        obs = _step(updater, reporter)
    expected = {'{}/{}'.format(g, k) for g in ('gen_ab', 'gen_ba')
                for k in GEN_KEYS | gen_extra}
    expected |= {'{}/{}'.format(d, k) for d in ('dis_a', 'dis_b')
                 for k in DIS_KEYS | dis_extra}
    if kw.get('emb'):
        expected |= {'dis_emb/loss', 'dis_emb/acc'}
    assert expected <= set(obs)
    assert all(np.isfinite(v) for v in obs.values())
    for opt in updater.get_all_optimizers().values():
        assert opt.t == 2


def test_reported_total_is_the_sum_of_the_terms():
    updater, reporter = _make()
    obs = _step(updater, reporter)
    parts = sum(obs['gen_ab/' + k] for k in GEN_KEYS - {'loss'})
    assert obs['gen_ab/loss'] == pytest.approx(parts, rel=1e-5)


def test_identity_off_drops_its_term():
    updater, reporter = _make(lambda_identity=0.)
    assert 'gen_ab/loss_idt' not in _step(updater, reporter)


def test_every_network_learns_each_iteration():
    updater, reporter = _make(emb=True)
    models = {n: o.target for n, o in updater.get_all_optimizers().items()}
    before = {n: [p.array.copy() for p in m.params()]
              for n, m in models.items()}
    _step(updater, reporter)
    for name, model in models.items():
        assert not all(np.array_equal(a, p.array) for a, p in
                       zip(before[name], model.params())), name


def test_generator_step_computes_no_gradient_for_discriminators():
    updater, reporter = _make(emb=True)
    dis = [updater.get_optimizer(n).target
           for n in ('dis_a', 'dis_b', 'dis_emb')]
    for d in dis:
        d.cleargrads()
    a, b = updater.converter(updater.get_iterator('main').next(),
                             updater.input_device)
    with reporter.scope({}):
        updater.update_generators(a, b)
    assert all(p.grad is None for d in dis for p in d.params())


def test_serialization_restores_models_pools_and_streams(tmp_path):
    updater, reporter = _make(label_noise=0.1, flip=True)
    for _ in range(3):
        _step(updater, reporter)
    path = str(tmp_path / 'updater.npz')
    chainer.serializers.save_npz(path, updater)
    restored, reporter2 = _make(seed=5, label_noise=0.1, flip=True)
    chainer.serializers.load_npz(path, restored)
    assert restored.pool_a.n_stored == 3
    for _ in range(2):
        assert _step(restored, reporter2) == _step(updater, reporter)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='lsgan'):
        _make(gan_loss='hinge')
    updater, _ = _make()
    with pytest.raises(ValueError, match='dis_emb'):
        CycleGANUpdater(
            updater.get_iterator('main'), updater.gen_ab, updater.gen_ba,
            updater.dis_a, updater.dis_b,
            *[updater.get_optimizer(n) for n in ('gen_ab', 'gen_ba', 'dis_a',
                                                 'dis_b')],
            dis_emb=cyclegan.EmbeddingDiscriminator(16, 4))


def test_missing_perceptual_net_fails_clearly(tmp_path):
    path = str(tmp_path / 'vgg16.npz')
    with pytest.raises(snapshots.UnsafeFileError,
                       match='vgg16.npz does not exist.*nothing is '
                             'downloaded'):
        cyclegan_wiring.load_feature_network(path)


def test_unknown_feature_net_layout_is_refused(tmp_path):
    path = str(tmp_path / 'other.npz')
    np.savez(path, **{'x/W': np.zeros(3)})
    with pytest.raises(snapshots.UnsafeFileError, match='neither'):
        cyclegan_wiring.load_feature_network(path)
