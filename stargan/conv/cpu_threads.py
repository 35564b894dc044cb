"""Inference's convolutions split across the CPU's cores here, not in BLAS.

OpenBLAS parallelises each GEMM by itself: its threads pack shared panels
of one operand and read each other's. On the shared 2-vCPU machines this
project is measured on, that sharing runs at one of two speeds, fixed for a
process's life: a 256x256 by 256x64 product took 70 us in some processes
and 140 us in others (one thread alone takes 88 us), so one image through
the paper generator took 115 ms or 185 ms by chance. And while OpenBLAS's
second thread waits for the next product, the copies between products
(im2col, col2im, Winograd's tiles) run on one core.

Inside :func:`splitting` (translation, ``bench.py``'s inference), OpenBLAS
runs one thread and the work is cut into independent parts computed at
once on a pool of threads (numpy releases the GIL in its copies and
products; each thread packs its own panels): :func:`matmul` cuts a product
into blocks of its stacked matrices or column blocks of its right operand,
and :func:`for_blocks` runs any function over blocks of a range (output
rows of a convolution, channels of a transposed convolution). Outside the
context (training), where numpy's BLAS is not OpenBLAS (MKL, Accelerate),
on CuPy arrays and on one core, they are ``xp.matmul`` and one call.
"""
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait
import contextlib
import ctypes
import os
import threading

import numpy
from chainer import backend

#: Products of fewer multiply-adds than this are not split. Handing a part
#: to a pool thread and waiting for it costs ~60 us on the shared VMs (a
#: futex wake-up each way); on the paper generator, thresholds of 1, 4 and
#: 16 M gave one image in 111-117, 115-116 and 116-124 ms.
MIN_SPLIT_MACS = 1 << 20

#: Column blocks are multiples of this (the BLAS kernels' register width).
_COLUMN_ALIGN = 16

_SETTERS = ('openblas_set_num_threads64_', 'openblas_set_num_threads',
            'scipy_openblas_set_num_threads64_',
            'scipy_openblas_set_num_threads')


def _numpy_openblas():
    """ctypes ``(set_num_threads, get_num_threads)`` of the OpenBLAS that
    numpy loaded, or None (another BLAS, or no ``/proc/self/maps``)."""
    numpy_dirs = os.path.join(os.path.dirname(
        os.path.dirname(os.path.abspath(numpy.__file__))), 'numpy')
    try:
        with open('/proc/self/maps') as maps:
            paths = {line.split()[-1] for line in maps
                     if 'openblas' in os.path.basename(line.strip())}
    except OSError:
        return None
    for path in sorted(p for p in paths if p.startswith(numpy_dirs)):
        lib = ctypes.CDLL(path)
        for name in _SETTERS:
            getter = name.replace('set_', 'get_')
            if hasattr(lib, name) and hasattr(lib, getter):
                setter, get = getattr(lib, name), getattr(lib, getter)
                setter.argtypes, setter.restype = [ctypes.c_int], None
                get.argtypes, get.restype = [], ctypes.c_int
                return setter, get
    return None


class _Pool(object):
    """Worker threads, OpenBLAS's thread setting, and the context's depth."""

    def __init__(self):
        self.blas = _numpy_openblas()
        self.threads = self.blas[1]() if self.blas else 1
        self.executor = (ThreadPoolExecutor(self.threads - 1)
                         if self.threads > 1 else None)
        self.depth, self.saved = 0, self.threads
        self.lock = threading.Lock()
        # One split product at a time: a product asked for while another
        # runs (from another thread) is computed the plain way.
        self.busy = threading.Lock()

    def run(self, parts):
        """Calls every ``part()``, the last on this thread."""
        futures = [self.executor.submit(p) for p in parts[:-1]]
        try:
            parts[-1]()
        finally:  # no part left writing after an error here
            wait(futures)
        for f in futures:
            f.result()


_POOL = None
_POOL_LOCK = threading.Lock()
_FORK_HOOK = False  # whether _forget_pool_in_child is registered


def _pool():
    """The pool, made on first use (nothing runs at import: reading
    ``/proc/self/maps`` and the at-fork hook wait until work is split)."""
    global _POOL, _FORK_HOOK
    with _POOL_LOCK:
        if _POOL is None:
            if not _FORK_HOOK and hasattr(os, 'register_at_fork'):
                os.register_at_fork(after_in_child=_forget_pool_in_child)
                _FORK_HOOK = True
            _POOL = _Pool()
    return _POOL


def _forget_pool_in_child():
    # A forked child (a loader process) has none of the parent's pool
    # threads: a part handed to them would never run.
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


@contextlib.contextmanager
def splitting():
    """Context in which :func:`matmul` and :func:`for_blocks` split work
    across as many threads as OpenBLAS had (``OPENBLAS_NUM_THREADS``, or
    the cores) and OpenBLAS runs one; nests, and restores OpenBLAS's
    setting on leaving."""
    pool = _pool()
    if pool.threads < 2:
        yield
        return
    with pool.lock:
        pool.depth += 1
        if pool.depth == 1:
            pool.saved = pool.blas[1]()
            pool.blas[0](1)
    try:
        yield
    finally:
        with pool.lock:
            pool.depth -= 1
            if pool.depth == 0:
                pool.blas[0](pool.saved)


def active():
    """Whether work is split here now: inside :func:`splitting`, with
    more than one thread. Makes no pool: outside :func:`splitting` (which
    makes it) nothing is split."""
    pool = _POOL
    return pool is not None and pool.depth > 0 and pool.threads > 1


def _ceil_div(a, b):
    return -(-a // b)


def _cuts(n, parts, align):
    """Increasing cut points ``0 = c_0 < ... = n`` into at most ``parts``
    blocks, each a multiple of ``align`` long but the last."""
    step = max(1, _ceil_div(_ceil_div(n, parts), align) * align)
    return list(range(0, n, step)) + [n]


def _split_axis(a, b, n_threads):
    """How :func:`matmul` cuts ``a @ b``: ``(length, align, cut, left)``.

    Blocks of the stacked matrices where there are enough (``cut`` slices
    the first axis of b and the output, and of a when it is stacked too),
    else column blocks of b and the output (a whole).
    """
    whole = (lambda arr, lo, hi: arr)
    if b.ndim == 3 and b.shape[0] >= n_threads:
        cut = (lambda arr, lo, hi: arr[lo:hi])
        return b.shape[0], 1, cut, (cut if a.ndim == 3 else whole)
    return (b.shape[-1], _COLUMN_ALIGN, (lambda arr, lo, hi: arr[..., lo:hi]),
            whole)


def for_blocks(n, fn, macs=None, align=1, xp=numpy):
    """``fn(lo, hi)`` over blocks of ``range(n)``, at once on the pool's
    threads inside :func:`splitting` (BLAS products inside ``fn`` then run
    on one thread each), else ``fn(0, n)``: always so for CuPy's work.

    For work that is not one product: gathering and transforming blocks of
    channels, for instance. The blocks must write disjoint outputs.

    Args:
        n (int): Length of the range.
        fn: ``fn(lo, hi)``, called once per block.
        macs (int): Multiply-adds (or other work) of the whole range, to
            compare with :data:`MIN_SPLIT_MACS`; None splits regardless.
        align (int): Blocks but the last are multiples of it.
        xp: The array module of fn's arrays.
    """
    if xp is not numpy or not active():
        fn(0, n)
        return
    pool = _pool()
    cuts = _cuts(n, max(1, pool.threads), align)
    if (len(cuts) < 3 or (macs is not None and macs < MIN_SPLIT_MACS)
            or not pool.busy.acquire(blocking=False)):
        fn(0, n)
        return
    try:
        pool.run([(lambda lo=lo, hi=hi: fn(lo, hi))
                  for lo, hi in zip(cuts[:-1], cuts[1:])])
    finally:
        pool.busy.release()


def matmul(a, b, out=None):
    """``xp.matmul(a, b, out=out)``, split across threads inside
    :func:`splitting`.

    Args:
        a: ``(M, K)`` or ``(B, M, K)`` float array.
        b: ``(K, N)`` or ``(B, K, N)`` (``B`` as a's, or with a 2-d ``a``)
            of a's dtype.
        out: Where to write the product (of the product's shape), or None.

    Returns:
        The product (``(M, N)`` or ``(B, M, N)``): ``out``, or a new array.
    """
    xp = backend.get_array_module(a)
    if xp is not numpy or not active() or a.dtype != b.dtype:
        return xp.matmul(a, b, out=out)
    if out is None:
        out = numpy.empty(numpy.broadcast_shapes(
            a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1]),
            dtype=a.dtype)
    n, align, cut, left = _split_axis(a, b, _pool().threads)

    def block(lo, hi):
        numpy.matmul(left(a, lo, hi), cut(b, lo, hi), out=cut(out, lo, hi))
    macs = a.shape[-2] * a.shape[-1] * b.shape[-1] * (
        b.shape[0] if b.ndim == 3 else 1)
    for_blocks(n, block, macs, align)
    return out
