"""The average of a model's weights: maths, schedule, state."""
import numpy as np
import pytest

import chainer
import chainer.links as L

from stargan import ema


class _Two(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.a = L.Linear(3, 2)
            self.b = L.Linear(2, 1)


def _set(model, value):
    for p in model.params():
        p.array[...] = value


def test_decay_ramps_up_then_caps_at_beta():
    assert ema.decay(0.999, 0) == pytest.approx(0.1)
    assert ema.decay(0.999, 90) == pytest.approx(91 / 100.)
    assert ema.decay(0.999, 10 ** 6) == 0.999
    assert ema.decay(0., 5) == 0.


def test_updates_match_a_hand_computation():
    model = _Two()
    rng = np.random.RandomState(1)
    for p in model.params():
        p.array[...] = rng.uniform(-1, 1, p.shape)
    avg = ema.ExponentialMovingAverage(model, beta=0.5)
    start = {k: p.array.astype(np.float64)
             for k, p in model.namedparams()}
    expected = dict(start)
    for t in range(4):
        for p in model.params():
            p.array[...] = rng.uniform(-1, 1, p.shape)
        avg.update()
        d = min(0.5, (1. + t) / (10. + t))  # 0.1, 2/11, 3/12, 4/13
        for k, p in model.namedparams():
            expected[k] = d * expected[k] + (1 - d) * p.array
    assert avg.updates == 4
    got = dict(avg.average.namedparams())
    for k, want in expected.items():
        # Values in [-1, 1]: each update rounds four times (d, two
        # products, the sum) by at most 2**-24 each, and d < 1 shrinks the
        # earlier errors: four updates stay below 16 * 2**-24 < 1e-6.
        np.testing.assert_allclose(got[k].array, want, rtol=0, atol=1e-6)
        assert not np.allclose(want, start[k])


def test_the_average_is_a_separate_copy_on_the_same_device():
    model = _Two()
    avg = ema.ExponentialMovingAverage(model)
    for (name, p), (name2, q) in zip(sorted(model.namedparams()),
                                     sorted(avg.average.namedparams())):
        assert name == name2 and p.array is not q.array
        np.testing.assert_array_equal(p.array, q.array)
        assert q.update_rule is None and q.device == p.device
    _set(model, 1.)
    assert not any((q.array == 1).all() for q in avg.average.params())


def test_beta_zero_follows_the_model_exactly():
    model = _Two()
    avg = ema.ExponentialMovingAverage(model, beta=0.)
    for value in (0.3, -7.25):
        _set(model, value)
        avg.update()
        for q in avg.average.params():
            np.testing.assert_array_equal(q.array, value)


def test_bad_beta_is_refused():
    for beta in (-0.1, 1., 2.):
        with pytest.raises(ValueError, match=r'\[0, 1\)'):
            ema.ExponentialMovingAverage(_Two(), beta)


def test_state_survives_serialization():
    model = _Two()
    avg = ema.ExponentialMovingAverage(model)
    _set(model, 2.)
    avg.update()
    avg.update()
    saved = {}
    avg.serialize(chainer.serializers.DictionarySerializer(saved))
    other = ema.ExponentialMovingAverage(_Two())
    other.serialize(chainer.serializers.NpzDeserializer(saved))
    assert other.updates == 2
    for (_, p), (_, q) in zip(sorted(avg.average.namedparams()),
                              sorted(other.average.namedparams())):
        np.testing.assert_array_equal(p.array, q.array)


def test_a_file_without_an_average_restarts_it_at_the_model():
    model = _Two()
    avg = ema.ExponentialMovingAverage(model)
    _set(model, 2.)
    avg.update()
    _set(model, 5.)  # as a resumed model would be
    avg.serialize(chainer.serializers.NpzDeserializer({}))
    assert avg.updates == 0
    for q in avg.average.params():
        np.testing.assert_array_equal(q.array, 5.)


def test_the_models_optimizer_is_neither_copied_nor_disturbed():
    model = _Two()
    opt = chainer.optimizers.Adam()
    opt.setup(model)
    x = np.ones((2, 3), np.float32)
    opt.update(lambda: chainer.functions.sum(model.b(model.a(x))))
    avg = ema.ExponentialMovingAverage(model)
    assert all(p.update_rule is None for p in avg.average.params())
    assert all(p.update_rule is not None for p in model.params())
    assert 'm' in model.a.W.update_rule.state
