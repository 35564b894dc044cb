"""``--gpu N`` to a chainer device, with one clear message when CUDA cannot
run there; the CUDA libraries of the ``gpu`` extra; and the CPU allocator
setting the scripts apply.

chainer is imported inside the functions, not here: the scripts import this
module and call :func:`preload_cuda_libraries` before anything imports
chainer, because chainer imports CuPy (and decides whether cuDNN is on) the
moment it is imported.
"""
import ctypes
import os
import sys

# mallopt() parameters, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4

#: NVIDIA's wheels the ``gpu`` extra installs (``site-packages/nvidia/<name>/
#: lib``) and the libraries CuPy 13 links by soname, each after the ones it
#: links to; the last of each group is the one CuPy links.
WHEEL_LIBRARIES = (
    ('cublas', ('libcublasLt.so.12', 'libcublas.so.12')),
    ('cudnn', ('libcudnn_ops_infer.so.8', 'libcudnn_ops_train.so.8',
               'libcudnn_cnn_infer.so.8', 'libcudnn_cnn_train.so.8',
               'libcudnn_adv_infer.so.8', 'libcudnn_adv_train.so.8',
               'libcudnn.so.8')),
    ('nccl', ('libnccl.so.2',)),
)

_INSTALL_HINT = ('Install the GPU extra (pip install -e ".[gpu]") on a machine '
                 'with an NVIDIA GPU, or leave out --gpu to run on the CPU.')


def _load(path):
    return ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)


def preload_cuda_libraries(search_path=None):
    """Loads the cuBLAS, cuDNN and NCCL of NVIDIA's wheels, if installed.

    CuPy 13 links ``libcudnn.so.8`` and ``libnccl.so.2`` by name, and the
    dynamic loader does not look in ``site-packages/nvidia/*/lib``. A library
    already loaded under the same soname satisfies that link, so loading the
    wheels' files by path first makes CuPy (and chainer's cuDNN check) find
    them. A group the system's loader already finds (a CUDA or cuDNN
    installed system-wide) is left to the system. Does nothing when the
    wheels are absent (CPU machines) or off Linux; never raises.

    Must run before chainer (hence CuPy) is imported to turn cuDNN on; NCCL
    is loaded by CuPy only when first used.

    Args:
        search_path (list of str): Directories holding ``nvidia/``; default
            ``sys.path``.

    Returns:
        dict: Group name (``'cudnn'``, ...) to ``'system'``, the wheel's
        ``lib`` directory it was loaded from, or ``'failed: <reason>'``;
        groups whose wheel is absent are left out.
    """
    if not sys.platform.startswith('linux'):
        return {}
    found = {}
    for name, sonames in WHEEL_LIBRARIES:
        libdir = _wheel_dir(name, sys.path if search_path is None
                            else search_path)
        if libdir is None:
            continue
        try:
            _load(sonames[-1])
            found[name] = 'system'
            continue
        except OSError:
            pass
        try:
            for soname in sonames:
                path = os.path.join(libdir, soname)
                if os.path.exists(path):
                    _load(path)
            found[name] = libdir
        except OSError as e:
            found[name] = 'failed: {}'.format(e)
    return found


def _wheel_dir(name, search_path):
    for entry in search_path:
        libdir = os.path.join(entry or '.', 'nvidia', name, 'lib')
        if os.path.isdir(libdir):
            return libdir
    return None


def get_device(gpu):
    """The chainer device for a script's ``--gpu`` value.

    Args:
        gpu (int): GPU id; negative means the CPU.

    Returns:
        chainer.backend.Device: ``@numpy`` or ``@cupy:<gpu>``.

    Raises:
        ValueError: A GPU was asked for but CuPy/CUDA is not usable, the id
            names no GPU, or the driver cannot run CuPy's CUDA; the message
            names ``--gpu`` and says what to install or change.
    """
    import chainer
    if gpu < 0:
        return chainer.get_device('@numpy')
    from chainer.backends import cuda
    if not cuda.available:
        raise ValueError(
            '--gpu {}: CuPy with CUDA is not available on this machine. {}'
            .format(gpu, _INSTALL_HINT))
    check_gpu(cuda.cupy, gpu)
    return chainer.get_device('@cupy:{}'.format(gpu))


def check_gpu(cupy, gpu):
    """Checks that CUDA starts on GPU ``gpu`` by allocating on it.

    Args:
        cupy (module): ``cupy`` (a fake in the tests).
        gpu (int): GPU id, >= 0.

    Raises:
        ValueError: ``gpu`` is not a GPU of this machine, or CUDA fails
            there (typically a driver older than CuPy's CUDA 12 runtime, or
            a GPU busy in exclusive mode); the message names ``--gpu``.
    """
    errors = (cupy.cuda.runtime.CUDARuntimeError,
              cupy.cuda.driver.CUDADriverError)
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except errors as e:
        raise ValueError(
            '--gpu {}: CUDA does not start ({}). Check that `nvidia-smi` '
            'works and that its driver supports CUDA 12 (CuPy {} needs it), '
            'and that CUDA_VISIBLE_DEVICES does not hide the GPU; or leave '
            'out --gpu to run on the CPU.'.format(gpu, e, cupy.__version__))
    if gpu >= count:
        raise ValueError(
            '--gpu {}: this machine has {} GPU{} (ids 0 to {}); pick one '
            'of those, or leave out --gpu to run on the CPU.'.format(
                gpu, count, '' if count == 1 else 's', count - 1))
    try:
        with cupy.cuda.Device(gpu):
            cupy.empty((1,), 'f')
    except errors as e:
        raise ValueError(
            '--gpu {}: CUDA fails on that GPU ({}). Check `nvidia-smi` (a '
            'GPU in exclusive mode may be taken by another process), or '
            'pick another --gpu.'.format(gpu, e))


def report_gpu(gpu):
    """Prints :func:`gpu_summary` of this process's CuPy, cuDNN and NCCL:
    the line to stdout, the warning (cuDNN off) to stderr.

    Args:
        gpu (int): GPU id, already checked by :func:`get_device`.
    """
    from chainer.backends import cuda
    from cupy.cuda import nccl  # its ``available`` says if libnccl loaded
    line, warning = gpu_summary(cuda.cupy, cuda, nccl, gpu)
    print(line)
    if warning:
        print(warning, file=sys.stderr)


def gpu_summary(cupy, cuda, nccl, gpu):
    """One line on the GPU stack a run uses, and a warning if cuDNN is off.

    Args:
        cupy (module): ``cupy`` (fakes in the tests, as for the others).
        cuda (module): ``chainer.backends.cuda``, whose ``cudnn_enabled``
            chainer fixed when it was imported.
        nccl (module): ``cupy.cuda.nccl``.
        gpu (int): GPU id.

    Returns:
        tuple: ``(line, warning)``; ``warning`` is None when cuDNN is on.
    """
    runtime = cupy.cuda.runtime
    parts = ['GPU {}'.format(gpu), 'CuPy {}'.format(cupy.__version__),
             'CUDA {} (driver {})'.format(
                 _cuda_version(runtime.runtimeGetVersion()),
                 _cuda_version(runtime.driverGetVersion()))]
    warning = None
    if cuda.cudnn_enabled:
        v = cuda.cuda.cudnn.getVersion()
        parts.append('cuDNN {}.{}.{} on'.format(
            v // 1000, v % 1000 // 100, v % 100))
    else:
        parts.append('cuDNN off')
        warning = (
            'WARNING: cuDNN is off ({}): chainer runs convolutions as im2col '
            '+ cuBLAS, which is slower. Install the GPU extra (its '
            'nvidia-cudnn-cu12 8.9 wheel provides libcudnn.so.8).'.format(
                _cudnn_reason(cuda)))
    if getattr(nccl, 'available', False):
        v = nccl.get_version()
        parts.append('NCCL {}.{}.{} on'.format(
            v // 10000, v % 10000 // 100, v % 100))
    else:
        parts.append('NCCL off (--communicator pure_nccl needs it)')
    return ' | '.join(parts), warning


def _cuda_version(v):
    return '{}.{}'.format(v // 1000, v % 1000 // 10)


def _cudnn_reason(cuda):
    if os.environ.get('CHAINER_CUDNN', '1') == '0':
        return 'CHAINER_CUDNN=0'
    error = getattr(cuda, '_resolution_error', None)
    return 'libcudnn.so.8 not loaded: {}'.format(error) if error else (
        'chainer did not find it')


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
