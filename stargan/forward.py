"""One batched forward pass without a graph, for every model that only
infers: sample grids, photos, metrics, comparisons, the judge, FID
features."""
import contextlib

import numpy

import chainer


def _to_host(y):
    """A Variable or device array (or a tuple of them, None kept) as numpy."""
    if isinstance(y, tuple):
        return tuple(None if a is None else _to_host(a) for a in y)
    return chainer.backend.CpuDevice().send(chainer.as_array(y))


def _concatenate(parts):
    if isinstance(parts[0], tuple):
        return tuple(None if p[0] is None else numpy.concatenate(p)
                     for p in zip(*parts))
    return numpy.concatenate(parts)


def forward_in_batches(fn, arrays, device, batch_size, prepare=None,
                       finish=None, context=None):
    """``fn`` over mini-batches of ``arrays``, in test mode without
    backprop, its outputs concatenated on the host.

    Batch ``s`` is ``[a[s:s + batch_size] for a in arrays]``, passed
    through ``prepare`` on the host, sent to ``device`` and given to
    ``fn``; each output comes back to the host, passes through ``finish``
    and is concatenated along the first axis. Nothing is computed
    differently from one ``fn`` call per batch.

    Args:
        fn (callable): ``fn(*batch)`` -> a Variable or array ``(M, ...)``,
            or a tuple of them (an element may be None in every batch,
            as :func:`stargan.attention.with_mask`'s mask).
        arrays (sequence): Arrays (or sequences) of equal length N >= 1
            (on the host, as a rule; numpy or CuPy).
        device: ``chainer.get_device`` specifier (or device) of ``fn``.
        batch_size (int): Samples per call, >= 1.
        prepare (callable or None): ``prepare(*host_slices)`` -> the
            arrays to send, a tuple (or one array), e.g. uint8 crops to
            float32 CHW.
        finish (callable or None): Applied to each batch's host output
            (e.g. to uint8 pixels, keeping only the small result).
        context (contextmanager or None): Entered once around all
            batches, inside test mode and ``no_backprop_mode``: the
            caller's own (``stargan.conv.cpu_threads.splitting()``,
            ``stargan.conv.translating()``).

    Returns:
        numpy.ndarray ``(N, ...)``, or a tuple of them (None kept) where
        ``fn`` returns a tuple.

    Raises:
        ValueError: N is 0 (there is no output shape to give).
    """
    if not len(arrays[0]):
        raise ValueError('forward_in_batches: no samples to run on')
    device = chainer.get_device(device)
    parts = []
    with chainer.using_config('train', False), chainer.no_backprop_mode(), \
            (context or contextlib.nullcontext()):
        for s in range(0, len(arrays[0]), batch_size):
            batch = [a[s:s + batch_size] for a in arrays]
            if prepare is not None:
                batch = prepare(*batch)
                batch = batch if isinstance(batch, tuple) else (batch,)
            y = _to_host(fn(*[device.send(a) for a in batch]))
            parts.append(y if finish is None else finish(y))
    return _concatenate(parts)
