"""The divergence guard: one wait for the device per check, and a NaN still
stops training within one check interval."""
import types

import numpy as np
import pytest

import chainer
from chainer import training

from extensions import safety
from stargan.models import stargan as networks
from updaters import StarGANUpdater


def _fake_trainer(iteration, observation):
    return types.SimpleNamespace(updater=types.SimpleNamespace(
        iteration=iteration), observation=observation)


def _run(guard, losses, start=1):
    for i, loss in enumerate(losses, start):
        guard(_fake_trainer(i, {'dis/loss': np.float32(loss),
                                'gen/loss': np.float32(1.), 'eval/x': 'skip'}))


def test_nan_stops_at_the_next_check_naming_its_iteration():
    guard = safety.DivergenceGuard(check_interval=5)
    _run(guard, [1.] * 6)  # checked at 5: fine
    with pytest.raises(safety.DivergenceError,
                       match=r'dis/loss became nan at iteration 7'):
        _run(guard, [np.nan, 1., 1., 1.], start=7)  # found at 10


def test_the_last_iteration_is_checked():
    guard = safety.DivergenceGuard(check_interval=10, last=3)
    with pytest.raises(safety.DivergenceError, match='iteration 2'):
        _run(guard, [1., np.inf, 1.])


def test_values_left_unchecked_at_the_end_are_checked_and_kept():
    guard = safety.DivergenceGuard(check_interval=5)
    _run(guard, [1.] * 6 + [np.nan])  # a signal stops it at 7
    guard.finalize()
    trainer = types.SimpleNamespace(get_extension=lambda name: guard)
    with pytest.raises(safety.DivergenceError, match='iteration 7'):
        safety.raise_late_divergence(trainer)


def test_after_an_error_the_end_is_not_checked():
    guard = safety.DivergenceGuard(check_interval=5)
    _run(guard, [np.nan])
    guard.on_error(None, RuntimeError('out of memory'), None)
    guard.finalize()
    assert guard.error is None


def test_check_interval_divides_every_writer_interval():
    assert safety.check_interval(10, 1000, 500, 0) == 10
    assert safety.check_interval(10, 25, None) == 5
    assert safety.check_interval() == 1
    with pytest.raises(ValueError):
        safety.DivergenceGuard(check_interval=0)


class _OnDevice(training.Extension):
    """Makes every reported value a device array, as on a GPU (the tiny
    models here run on numpy), and keeps the Python numbers reported: a
    number reported from a GPU was read from it during the step."""

    trigger = 1, 'iteration'

    def __init__(self, array_type):
        self.array_type, self.host_numbers = array_type, []

    def __call__(self, trainer):
        for key, value in trainer.observation.items():
            if type(value) in (float, int, bool):
                self.host_numbers.append(key)
            trainer.observation[key] = self.array_type.of(
                chainer.as_array(value))


def _stargan_updater(size=16, c_dim=2):
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (8, 3, size, size)).astype(np.float32)
    c = np.eye(c_dim, dtype=np.float32)[np.arange(8) % c_dim]
    it = chainer.iterators.SerialIterator(
        chainer.datasets.TupleDataset(x, c), 2)
    gen = networks.Generator(c_dim, conv_dim=4, n_res=1)
    dis = networks.Discriminator(size, c_dim, conv_dim=4, n_down=2)
    opts = [chainer.optimizers.Adam(1e-4) for _ in range(2)]
    for opt, model in zip(opts, (gen, dis)):
        opt.setup(model)
    return StarGANUpdater(it, gen, dis, opts[0], opts[1], [c_dim],
                          n_critic=2)


def test_training_waits_for_the_device_once_per_check(tmp_path,
                                                      device_array_type):
    trainer = training.Trainer(_stargan_updater(), (10, 'iteration'),
                               out=str(tmp_path))
    on_device = _OnDevice(device_array_type)
    guard = safety.DivergenceGuard(check_interval=5, last=10)
    trainer.extend(on_device, priority=guard.priority + 1)
    trainer.extend(guard)
    trainer.run()
    assert on_device.host_numbers == []
    assert device_array_type.syncs == 2  # at 5 and 10, none at the end
