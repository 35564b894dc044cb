"""Batches loaded in the background, so decoding never stalls training.

:class:`PrefetchIterator` wraps any iterator of this project (shuffling,
sharded or joint) and reads the next batches in worker threads while the
current one trains. Image decoding (Pillow, OpenCV) and numpy release the
GIL, so the work overlaps with the training step.

Exact resume survives prefetching: before a batch is read ahead, the
wrapped iterator's state is recorded, and a snapshot saves the state as of
the last batch *handed out*, not the last one read. A resumed run therefore
reads exactly the batches a run without prefetching would. A dataset that
keeps state of its own (``serialize``, e.g. the read counts of
:class:`datasets.unaligned.UnalignedDataset`) is handled the same way
through :attr:`PrefetchIterator.dataset`.
"""
import collections
import concurrent.futures
import time

import numpy

import chainer
from chainer import serializers


def _state_of(iterator):
    """The iterator's serialized state as a flat ``{key: array}`` dict."""
    s = serializers.DictionarySerializer()
    iterator.serialize(s)
    return {k: numpy.array(v, copy=True) for k, v in s.target.items()}


def _progress(iterator):
    return (iterator.epoch, iterator.epoch_detail,
            iterator.previous_epoch_detail, iterator.is_new_epoch)


class PrefetchIterator(chainer.dataset.Iterator):
    """Reads up to ``depth`` batches ahead of training in a worker thread.

    Args:
        iterator (~chainer.dataset.Iterator): Yields the batches; it must
            be advanced only through this wrapper.
        depth (int): Batches read ahead (>= 1).

    Attributes:
        dataset: The wrapped iterator's dataset; when it has state of its
            own, a stand-in whose ``serialize`` saves that state as of the
            last batch handed out.
        wait_s (float): Seconds ``next()`` spent waiting for a batch that
            was not ready yet (near 0 when loading keeps up).
    """

    def __init__(self, iterator, depth=2):
        if int(depth) < 1:
            raise ValueError('depth must be at least 1, got {}'.format(depth))
        self.iterator, self.depth = iterator, int(depth)
        # One worker keeps the wrapped iterator's calls in order; the
        # decoding inside each call is what runs beside training.
        self._pool = concurrent.futures.ThreadPoolExecutor(1)
        self._queue = collections.deque()
        self._info = _progress(iterator)
        self.wait_s = 0.
        base = getattr(iterator, 'dataset', None)
        self._stateful = base if hasattr(base, 'serialize') else None
        self.dataset = _DatasetState(self) if self._stateful else base

    def _job(self):
        """Runs in the worker: the state before a batch, then the batch and
        the epoch counters after it, or the reading error (raised when the
        batch is asked for)."""
        state = (_state_of(self.iterator), self._stateful
                 and _state_of(self._stateful))
        try:
            return state, self.iterator.next(), _progress(self.iterator)
        except Exception as e:
            return state, e, None

    def _read_ahead(self):
        while len(self._queue) < self.depth:
            self._queue.append(self._pool.submit(self._job))

    def __next__(self):
        self._read_ahead()
        future = self._queue.popleft()
        start = time.perf_counter()
        _, batch, info = future.result()
        self.wait_s += time.perf_counter() - start
        if isinstance(batch, Exception):
            raise batch
        self._info = info
        self._read_ahead()
        return batch

    next = __next__

    @property
    def epoch(self):
        return self._info[0]

    @property
    def epoch_detail(self):
        return self._info[1]

    @property
    def previous_epoch_detail(self):
        return self._info[2]

    @property
    def is_new_epoch(self):
        return self._info[3]

    def _drain(self):
        for future in self._queue:
            future.result()

    def _saved_state(self, k, target):
        """State ``k`` (0 iterator, 1 dataset) as of the last batch handed
        out."""
        self._drain()
        return self._queue[0].result()[0][k] if self._queue \
            else _state_of(target)

    def _load(self, target, serializer):
        """Drops the batches read ahead and loads ``target``."""
        self._drain()
        self._queue.clear()
        target.serialize(serializer)
        self._info = _progress(self.iterator)

    def serialize(self, serializer):
        """Saves the state as of the last batch handed out; loading drops
        the batches read ahead and reads on from the loaded state."""
        if isinstance(serializer, chainer.Serializer):
            for key, value in self._saved_state(0, self.iterator).items():
                serializer(key, value)
        else:
            self._load(self.iterator, serializer)

    def reset(self):
        self._drain()
        self._queue.clear()
        self.iterator.reset()
        self._info = _progress(self.iterator)

    def finalize(self):
        """Stops the worker. The batches read ahead are kept (unused), so a
        snapshot taken afterwards (e.g. on SIGINT) still saves the state as
        of the last batch handed out."""
        self._drain()
        self._pool.shutdown(wait=False)  # drained: nothing left to run


class _DatasetState(object):
    """Serializes a stateful dataset behind a :class:`PrefetchIterator` as
    of the last batch handed out (reads ahead do not count)."""

    def __init__(self, prefetcher):
        self._prefetcher = prefetcher

    def __getattr__(self, name):
        return getattr(self._prefetcher._stateful, name)

    def __len__(self):
        return len(self._prefetcher._stateful)

    def __getitem__(self, i):
        return self._prefetcher._stateful[i]

    def serialize(self, serializer):
        p = self._prefetcher
        if isinstance(serializer, chainer.Serializer):
            for key, value in p._saved_state(1, p._stateful).items():
                serializer(key, value)
        else:
            p._load(p._stateful, serializer)
