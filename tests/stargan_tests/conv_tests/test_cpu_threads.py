import multiprocessing
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import chainer

from stargan.conv import cpu_threads
from stargan.models import stargan as networks

needs_openblas = pytest.mark.skipif(
    cpu_threads._pool().blas is None,
    reason="numpy's BLAS is not an OpenBLAS found in /proc/self/maps")


def _rand(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize('a_shape, b_shape', [
    ((7, 5), (5, 37)),            # columns not a multiple of the block
    ((36, 6, 5), (36, 5, 9)),     # stacked: blocks of matrices
    ((6, 5), (3, 5, 40)),         # 2-d filter times a stack of samples
    ((1, 6, 5), (1, 5, 33)),      # one matrix: column blocks
])
def test_split_product_equals_numpy(two_threads, a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = _rand(rng, *a_shape), _rand(rng, *b_shape)
    with cpu_threads.splitting():
        got = cpu_threads.matmul(a, b)
    np.testing.assert_allclose(got, np.matmul(a, b), rtol=1e-5, atol=1e-5)
    assert two_threads == [2]


def test_split_product_writes_into_out_views(two_threads):
    rng = np.random.default_rng(1)
    a, b = _rand(rng, 4, 8), _rand(rng, 8, 50)
    out = np.full((3, 4, 50), np.nan, np.float32)
    with cpu_threads.splitting():
        ret = cpu_threads.matmul(a, b, out=out[1])
    assert ret is out[1] or np.shares_memory(ret, out[1])
    np.testing.assert_allclose(out[1], a @ b, rtol=1e-5, atol=1e-5)
    assert np.isnan(out[0]).all() and np.isnan(out[2]).all()


def test_parts_cover_the_product_once(two_threads):
    a, b = np.zeros((3, 4)), np.zeros((4, 70))
    for n in (2, 3, 5):
        length, align = cpu_threads._split_axis(a, b, n)[:2]
        assert 2 <= len(cpu_threads._cuts(length, n, align)) - 1 <= n
    assert cpu_threads._cuts(70, 3, 16) == [0, 32, 64, 70]
    assert cpu_threads._cuts(36, 2, 1) == [0, 18, 36]
    # Too few columns for two aligned blocks: not split.
    with cpu_threads.splitting():
        got = cpu_threads.matmul(a, b[:, :16])
    np.testing.assert_array_equal(got, np.zeros((3, 16)))
    assert two_threads == []


def test_blocks_cover_the_range_once_on_two_threads(two_threads):
    hits = np.zeros(37, int)
    names = set()

    def block(lo, hi):
        hits[lo:hi] += 1
        names.add(threading.current_thread().name)
    cpu_threads.for_blocks(37, block)  # outside the context: one block
    assert two_threads == [] and len(names) == 1
    with cpu_threads.splitting():
        cpu_threads.for_blocks(37, block, align=8)
        cpu_threads.for_blocks(37, block, xp=None)  # not numpy's: one block
    assert two_threads == [2] and len(names) == 2
    np.testing.assert_array_equal(hits, 3)


def test_nothing_splits_outside_the_context_or_when_small(
        two_threads, monkeypatch):
    rng = np.random.default_rng(2)
    a, b = _rand(rng, 6, 5), _rand(rng, 5, 64)
    np.testing.assert_allclose(cpu_threads.matmul(a, b), a @ b, rtol=1e-6)
    monkeypatch.setattr(cpu_threads, 'MIN_SPLIT_MACS', 6 * 5 * 64 + 1)
    with cpu_threads.splitting():
        cpu_threads.matmul(a, b)
    assert two_threads == []


def test_a_product_asked_for_while_one_runs_is_computed_plainly(two_threads):
    rng = np.random.default_rng(3)
    a, b = _rand(rng, 6, 5), _rand(rng, 5, 64)
    pool = cpu_threads._pool()
    with cpu_threads.splitting():
        with pool.busy:  # as while another thread's product runs
            got = cpu_threads.matmul(a, b)
    np.testing.assert_allclose(got, a @ b, rtol=1e-6)
    assert two_threads == []


def test_parts_run_on_two_threads(two_threads, monkeypatch):
    names = set()
    real = np.matmul

    def spy(*args, **kwargs):
        names.add(threading.current_thread().name)
        return real(*args, **kwargs)
    monkeypatch.setattr(cpu_threads.numpy, 'matmul', spy)
    a, b = np.ones((4, 3), np.float32), np.ones((3, 64), np.float32)
    with cpu_threads.splitting():
        cpu_threads.matmul(a, b)
    assert len(names) == 2


def test_a_failing_part_raises_and_the_context_restores(two_threads):
    a, b = np.ones((4, 3), np.float32), np.ones((3, 64), np.float32)
    out = np.empty((4, 64), np.int32)  # numpy refuses this out's dtype
    with pytest.raises(TypeError):
        with cpu_threads.splitting():
            cpu_threads.matmul(a, b, out=out)
    pool = cpu_threads._pool()
    assert pool.depth == 0 and not pool.busy.locked()
    assert two_threads == [2]


@needs_openblas
def test_splitting_runs_openblas_on_one_thread_and_restores(monkeypatch):
    pool = cpu_threads._pool()
    original = pool.blas[1]()
    monkeypatch.setattr(pool, 'threads', 2)
    pool.blas[0](2)  # as at import on two cores, whatever ran before
    try:
        with cpu_threads.splitting():
            assert pool.blas[1]() == 1
            with cpu_threads.splitting():
                assert pool.blas[1]() == 1
            assert pool.blas[1]() == 1
        assert pool.blas[1]() == 2
        with pytest.raises(ValueError):
            with cpu_threads.splitting():
                raise ValueError('left by an error')
        assert pool.blas[1]() == 2
    finally:
        pool.blas[0](original)


def test_generator_translates_the_same_with_splitting(two_threads):
    gen = networks.Generator(3, 8, 2)
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (2, 3, 16, 16)).astype(np.float32)
    c = np.eye(3, dtype=np.float32)[[0, 2]]
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        ref = gen(x, c).array
        with cpu_threads.splitting():
            got = gen(x, c).array
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    assert len(two_threads) > 0


def _split_in_child(queue):
    a, b = np.ones((4, 3), np.float32), np.ones((3, 64), np.float32)
    with cpu_threads.splitting():
        queue.put(float(cpu_threads.matmul(a, b).sum()))


def test_a_forked_child_splits_with_its_own_pool(two_threads):
    with cpu_threads.splitting():  # the parent's pool has started threads
        cpu_threads.matmul(np.ones((4, 3), np.float32),
                           np.ones((3, 64), np.float32))
    ctx = multiprocessing.get_context('fork')
    queue = ctx.Queue()
    child = ctx.Process(target=_split_in_child, args=(queue,))
    child.start()
    child.join(20)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and queue.get(timeout=5) == 4 * 3 * 64


def test_an_error_on_this_thread_waits_for_the_other_parts(two_threads):
    done = []

    def slow():
        threading.Event().wait(0.2)
        done.append(True)

    def failing():
        raise RuntimeError('this part fails')
    with pytest.raises(RuntimeError):
        cpu_threads._pool().run([slow, failing])
    assert done == [True]


def test_import_and_training_convolutions_make_no_pool():
    # Nothing runs at import, and a convolution outside splitting() (as in
    # training) neither reads /proc/self/maps nor registers the fork hook.
    code = (
        'import numpy as np\n'
        'from stargan.conv import cpu_threads, functions\n'
        'x = np.ones((2, 3, 8, 8), np.float32)\n'
        'w = np.ones((4, 3, 3, 3), np.float32)\n'
        'y = functions.convolution_2d(x, w, pad=1)\n'
        'assert y.shape == (2, 4, 8, 8)\n'
        'assert cpu_threads._POOL is None, "a pool outside splitting()"\n'
        'assert not cpu_threads._FORK_HOOK\n'
        'with cpu_threads.splitting():\n'
        '    pass\n'
        'assert cpu_threads._POOL is not None and (\n'
        '    cpu_threads._FORK_HOOK or not hasattr(os, "register_at_fork"))\n')
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    result = subprocess.run([sys.executable, '-c', 'import os\n' + code],
                            cwd=root, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
