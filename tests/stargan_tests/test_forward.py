"""forward_in_batches gives exactly what the per-site loops it replaced
gave (their sites' own checks: tests/extensions_tests/test_samples.py,
tests/test_translate.py)."""
import contextlib

import numpy as np
import pytest

import chainer

from stargan.conv import cpu_threads
from stargan.forward import forward_in_batches
from stargan.models import stargan as networks

N, L, S = 5, 3, 16
CPU = chainer.backend.CpuDevice()


def _generator():
    return networks.Generator(L, conv_dim=8, n_res=1)


def _inputs():
    rng = np.random.RandomState(1)
    x = rng.uniform(-1, 1, (N, 3, S, S)).astype(np.float32)
    c = np.eye(L, dtype=np.float32)[rng.randint(0, L, N)]
    return x, c


def _old_loop(fn, arrays, batch_size, context=None):
    """The loop of stargan.metrics.context._run and faceapp.compare_models.
    _run_batches before forward_in_batches (classifier.predict's without a
    context)."""
    out, device = [], chainer.get_device('@numpy')
    with chainer.using_config('train', False), chainer.no_backprop_mode(), \
            (context or contextlib.nullcontext()):
        for s in range(0, len(arrays[0]), batch_size):
            y = fn(*[device.send(a[s:s + batch_size]) for a in arrays])
            out.append(CPU.send(y.array))
    return np.concatenate(out)


def _same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize('batch_size', [1, 3, N])
@pytest.mark.parametrize('splitting', [False, True])
def test_equals_the_old_loop_bitwise(batch_size, splitting):
    gen, (x, c) = _generator(), _inputs()
    context = cpu_threads.splitting if splitting else (lambda: None)
    got = forward_in_batches(gen, (x, c), '@numpy', batch_size,
                             context=context())
    _same(got, _old_loop(gen, (x, c), batch_size, context()))


def test_batches_run_in_test_mode_without_a_graph_inside_one_context():
    seen, entered = [], []

    @contextlib.contextmanager
    def context():
        entered.append(1)
        yield

    def fn(a, b):
        seen.append((len(a), chainer.config.train,
                     chainer.config.enable_backprop))
        return chainer.Variable(a) * 2, None

    a = np.arange(7, dtype=np.float32)
    doubled, nothing = forward_in_batches(
        fn, (a, a), '@numpy', 3, prepare=lambda a, b: (a + 1, b),
        finish=lambda y: (y[0] - 2, y[1]), context=context())
    _same(doubled, 2 * a)
    assert nothing is None and entered == [1]
    assert seen == [(3, False, False), (3, False, False), (1, False, False)]
    with pytest.raises(ValueError, match='no samples'):
        forward_in_batches(fn, (a[:0], a[:0]), '@numpy', 3)
