"""Fixtures of the stargan package's tests."""
import contextlib

import pytest

from stargan.conv import choice as conv_choice
from stargan.conv import cpu_threads


@pytest.fixture
def conv_settings():
    """``conv_settings(**kw)`` enters ``stargan.conv.choice.settings(**kw)``
    for the rest of the test (later calls nest inside earlier ones)."""
    with contextlib.ExitStack() as stack:
        yield lambda **kw: stack.enter_context(conv_choice.settings(**kw))


@pytest.fixture
def two_threads(monkeypatch):
    """cpu_threads with a pool of two threads whatever the machine's cores,
    splitting all work however small. Yields the list of part counts of
    every split run (products and blocks)."""
    pool = cpu_threads._Pool()
    pool.threads = 2
    pool.executor = cpu_threads.ThreadPoolExecutor(1)
    if pool.blas is None:  # splitting() still needs a setter
        pool.blas = (lambda n: None, lambda: 2)
    seen = []
    run = pool.run

    def recording_run(parts):
        seen.append(len(parts))
        run(parts)
    pool.run = recording_run
    monkeypatch.setattr(cpu_threads, '_POOL', pool)
    monkeypatch.setattr(cpu_threads, 'MIN_SPLIT_MACS', 1)
    yield seen
    pool.executor.shutdown()
