import ctypes
import json
import pathlib
import subprocess
import sys

import pytest

from extensions import devices

# Bytes glibc has mapped (mmap) for large blocks, before and after a 64 MB
# array, with and without devices.keep_freed_memory().
_PROBE = '''
import ctypes, json, sys
import numpy
from extensions import devices

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
