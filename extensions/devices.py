"""``--gpu N`` to a chainer device, with a clear message when CUDA is
missing; and the CPU allocator setting the scripts apply."""
import ctypes

import chainer

# mallopt() parameters, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def get_device(gpu):
    """The chainer device for a script's ``--gpu`` value.

    Args:
        gpu (int): GPU id; negative means the CPU.

    Returns:
        chainer.backend.Device: ``@numpy`` or ``@cupy:<gpu>``.

    Raises:
        ValueError: A GPU was asked for but CuPy/CUDA is not usable; the
            message says what to install or change.
    """
    if gpu < 0:
        return chainer.get_device('@numpy')
    from chainer.backends import cuda
    if not cuda.available:
        raise ValueError(
            '--gpu {}: CuPy with CUDA is not available on this machine. '
            'Install the GPU extra (pip install -e ".[gpu]") on a machine '
            'with an NVIDIA GPU, or leave out --gpu to run on the CPU.'
            .format(gpu))
    return chainer.get_device('@cupy:{}'.format(gpu))


def keep_freed_memory():
    """Lets glibc's malloc reuse freed memory for large arrays.

    By default glibc maps every allocation above its threshold (at most
    32 MB) afresh and unmaps it when freed, so each training step faults in
    the pages of its large activations and buffers again: at the paper's
    sizes on the CPU, a good part of the step was system time. Serving
    large allocations from the heap and never trimming it keeps those pages
    mapped (the paper G step: 21.5 -> 18.9 s, measured). The process then
    holds its peak memory until it exits, which it reaches every step
    anyway.

    Returns:
        bool: Whether the setting took effect (False where the C library
        has no ``mallopt``, e.g. macOS).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(
        mallopt(_M_TRIM_THRESHOLD, 2 ** 31 - 1))
