import ctypes
import json
import os
import pathlib
import subprocess
import sys
import types

import pytest

from faceapp import devices

# Bytes glibc has mapped (mmap) for large blocks, before and after a 64 MB
# array, with and without devices.keep_freed_memory().
_PROBE = '''
import ctypes, json, sys
import numpy
from faceapp import devices

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks',
        'fsmblks', 'uordblks', 'fordblks', 'keepcost')]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
applied = devices.keep_freed_memory() if sys.argv[1] == 'keep' else None
before = libc.mallinfo2().hblkhd
a = numpy.ones(16 * 2 ** 20, numpy.float32)
print(json.dumps({'applied': applied,
                  'mapped': libc.mallinfo2().hblkhd - before}))
'''


def _probe(mode):
    out = subprocess.run([sys.executable, '-c', _PROBE, mode], check=True,
                         capture_output=True, text=True,
                         cwd=pathlib.Path(__file__).parents[2]).stdout
    return json.loads(out)


@pytest.mark.skipif(not hasattr(ctypes.CDLL(None), 'mallinfo2'),
                    reason='needs glibc >= 2.33 (mallinfo2)')
def test_keep_freed_memory_serves_large_arrays_from_the_heap():
    assert _probe('default')['mapped'] >= 64 * 2 ** 20
    kept = _probe('keep')
    assert kept['applied'] is True
    assert kept['mapped'] == 0


def test_get_device_without_cuda_names_the_flag():
    from chainer.backends import cuda
    if cuda.available:
        pytest.skip('CUDA is available here')
    with pytest.raises(ValueError, match='--gpu 0'):
        devices.get_device(0)


class _RuntimeError(Exception):
    pass


class _DriverError(Exception):
    pass


def _fake_cupy(count=1, count_error=None, alloc_error=None):
    """A stand-in for ``cupy`` with what check_gpu and gpu_summary use."""
    def get_count():
        if count_error:
            raise count_error
        return count

    def empty(shape, dtype):
        if alloc_error:
            raise alloc_error
        return object()

    class Device:
        def __init__(self, i):
            self.i = i

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    runtime = types.SimpleNamespace(
        CUDARuntimeError=_RuntimeError, getDeviceCount=get_count,
        runtimeGetVersion=lambda: 12040, driverGetVersion=lambda: 12080)
    cuda = types.SimpleNamespace(
        runtime=runtime, driver=types.SimpleNamespace(
            CUDADriverError=_DriverError), Device=Device)
    return types.SimpleNamespace(__version__='13.6.0', cuda=cuda,
                                 empty=empty)


def test_check_gpu_accepts_an_id_that_works():
    devices.check_gpu(_fake_cupy(count=2), 1)


@pytest.mark.parametrize('gpu, count', [(1, 1), (4, 2)])
def test_check_gpu_refuses_an_id_beyond_the_gpus(gpu, count):
    with pytest.raises(ValueError) as e:
        devices.check_gpu(_fake_cupy(count=count), gpu)
    message = str(e.value)
    assert message.startswith('--gpu {}:'.format(gpu))
    assert 'ids 0 to {}'.format(count - 1) in message


def test_check_gpu_turns_a_driver_mismatch_into_one_message():
    error = _RuntimeError('cudaErrorInsufficientDriver: CUDA driver version '
                          'is insufficient for CUDA runtime version')
    with pytest.raises(ValueError) as e:
        devices.check_gpu(_fake_cupy(count_error=error), 0)
    message = str(e.value)
    assert message.startswith('--gpu 0: CUDA does not start')
    assert 'InsufficientDriver' in message and 'CUDA 12' in message


def test_check_gpu_turns_a_failing_gpu_into_one_message():
    error = _DriverError('CUDA_ERROR_DEVICE_UNAVAILABLE')
    with pytest.raises(ValueError, match='--gpu 0: CUDA fails on that GPU'):
        devices.check_gpu(_fake_cupy(alloc_error=error), 0)


def test_get_device_checks_the_id_through_cupy(monkeypatch):
    # get_device must reach check_gpu, not only the "CuPy missing" check.
    from chainer.backends import cuda
    monkeypatch.setattr(cuda, 'available', True)
    monkeypatch.setattr(cuda, 'cupy', _fake_cupy(count=1), raising=False)
    with pytest.raises(ValueError, match='--gpu 3: this machine has 1 GPU '):
        devices.get_device(3)


def _chainer_cuda(cudnn_version=None, error=None):
    return types.SimpleNamespace(
        cudnn_enabled=cudnn_version is not None, _resolution_error=error,
        cuda=types.SimpleNamespace(cudnn=types.SimpleNamespace(
            getVersion=lambda: cudnn_version)))


def test_gpu_summary_names_versions_of_cupy_cuda_cudnn_and_nccl():
    nccl = types.SimpleNamespace(available=True, get_version=lambda: 22105)
    line, warning = devices.gpu_summary(
        _fake_cupy(), _chainer_cuda(8907), nccl, 0)
    assert line == ('GPU 0 | CuPy 13.6.0 | CUDA 12.4 (driver 12.8) | '
                    'cuDNN 8.9.7 on | NCCL 2.21.5 on')
    assert warning is None


def test_gpu_summary_warns_when_cudnn_is_off(monkeypatch):
    monkeypatch.delenv('CHAINER_CUDNN', raising=False)
    error = ImportError('libcudnn.so.8: cannot open shared object file')
    line, warning = devices.gpu_summary(
        _fake_cupy(), _chainer_cuda(error=error),
        types.SimpleNamespace(available=False), 1)
    assert '| cuDNN off |' in line
    assert line.endswith('NCCL off (--communicator pure_nccl needs it)')
    assert warning.startswith('WARNING: cuDNN is off')
    assert 'cannot open shared object file' in warning
    assert 'nvidia-cudnn-cu12' in warning


def _wheels(root, names):
    for group, files in names.items():
        lib = root / 'nvidia' / group / 'lib'
        lib.mkdir(parents=True)
        for f in files:
            (lib / f).write_bytes(b'')
    return str(root)


def _recording_loader(monkeypatch, system=()):
    loaded = []

    def load(path, mode=0):
        if os.sep not in path and path not in system:
            raise OSError('{}: cannot open shared object file'.format(path))
        loaded.append((path, mode))
        return object()

    monkeypatch.setattr(devices.ctypes, 'CDLL', load)
    return loaded


def test_preload_loads_the_wheels_libraries_by_path_in_link_order(
        tmp_path, monkeypatch):
    cudnn = dict(devices.WHEEL_LIBRARIES)['cudnn']
    root = _wheels(tmp_path, {'cudnn': reversed(cudnn),
                              'nccl': ['libnccl.so.2']})
    loaded = _recording_loader(monkeypatch)
    found = devices.preload_cuda_libraries([str(tmp_path / 'nope'), root])
    lib = os.path.join(root, 'nvidia', '{}', 'lib')
    assert found == {'cudnn': lib.format('cudnn'),
                     'nccl': lib.format('nccl')}
    assert [p for p, _ in loaded] == (
        [os.path.join(lib.format('cudnn'), f) for f in cudnn]
        + [os.path.join(lib.format('nccl'), 'libnccl.so.2')])
    # Global, so the sonames also serve libraries loaded after them.
    assert {mode for _, mode in loaded} == {ctypes.RTLD_GLOBAL}


def test_preload_leaves_a_library_the_system_has_to_the_system(
        tmp_path, monkeypatch):
    root = _wheels(tmp_path, {'cudnn': ['libcudnn.so.8'],
                              'nccl': ['libnccl.so.2']})
    loaded = _recording_loader(monkeypatch, system={'libcudnn.so.8'})
    found = devices.preload_cuda_libraries([root])
    assert found['cudnn'] == 'system'
    assert [os.path.basename(p) for p, _ in loaded] == [
        'libcudnn.so.8', 'libnccl.so.2']


def test_preload_without_the_wheels_does_nothing(tmp_path, monkeypatch):
    loaded = _recording_loader(monkeypatch)
    assert devices.preload_cuda_libraries([str(tmp_path)]) == {}
    assert loaded == []


def test_preload_reports_a_library_that_fails_to_load(tmp_path, monkeypatch):
    root = _wheels(tmp_path, {'nccl': ['libnccl.so.2']})

    def load(path, mode=0):
        raise OSError('{}: invalid ELF header'.format(path))

    monkeypatch.setattr(devices.ctypes, 'CDLL', load)
    found = devices.preload_cuda_libraries([root])
    assert found['nccl'].startswith('failed: ')
    assert 'invalid ELF header' in found['nccl']


def test_devices_imports_without_chainer():
    # The scripts preload before chainer imports CuPy: importing devices
    # must not import chainer.
    out = subprocess.run(
        [sys.executable, '-c', 'import sys; from faceapp import devices; '
         'print("chainer" in sys.modules)'],
        check=True, capture_output=True, text=True,
        cwd=pathlib.Path(__file__).parents[2]).stdout
    assert out.strip() == 'False'


@pytest.mark.parametrize('script', ['train', 'evaluate', 'translate',
                                    'compare', 'bench'])
def test_scripts_preload_before_chainer_is_imported(script):
    # chainer decides at import whether cuDNN is on: a script must load the
    # wheels' libraries before anything it imports imports chainer.
    probe = ('import sys\n'
             'from faceapp import devices\n'
             'devices.preload_cuda_libraries = lambda *a: print(\n'
             '    "preload, chainer imported:", "chainer" in sys.modules)\n'
             'import {}\n'.format(script))
    out = subprocess.run([sys.executable, '-c', probe], check=True,
                         capture_output=True, text=True,
                         cwd=pathlib.Path(__file__).parents[2]).stdout
    assert out.splitlines()[0] == 'preload, chainer imported: False'
