import numpy as np
import pytest

import chainer
import chainer.links as L

from datasets import atomic
from faceapp import snapshots


def test_roundtrip(tmp_path):
    a, b = L.Linear(3, 2), L.Linear(3, 2)
    path = str(tmp_path / 'm.npz')
    chainer.serializers.save_npz(path, a)
    snapshots.load_npz(path, b)
    np.testing.assert_array_equal(a.W.array, b.W.array)


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    path = str(tmp_path / 'evil.npz')

    class Boom(object):
        def __reduce__(self):
            return (pytest.fail, ('unpickled!',))

    np.savez(path, W=np.array([Boom()], dtype=object), b=np.zeros(2))
    with pytest.raises(snapshots.UnsafeFileError, match='object arrays'):
        snapshots.load_npz(path, L.Linear(3, 2))


@pytest.mark.parametrize('content', [b'', b'not a zip file at all'])
def test_garbage_files_get_a_clear_error(tmp_path, content):
    path = tmp_path / 'bad.npz'
    path.write_bytes(content)
    with pytest.raises(snapshots.UnsafeFileError, match='bad.npz'):
        snapshots.load_npz(str(path), L.Linear(3, 2))


def test_mismatched_model_is_named(tmp_path):
    path = str(tmp_path / 'm.npz')
    chainer.serializers.save_npz(path, L.Linear(3, 2))
    with pytest.raises(snapshots.UnsafeFileError, match='m.npz'):
        snapshots.load_npz(path, L.Linear(4, 2))


def test_json_written_atomically(tmp_path):
    path = tmp_path / 'args.json'
    atomic.write_json_atomic({'b': 1, 'a': [1, 2]}, str(path))
    assert path.read_text().startswith('{\n  "a"')
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.skipif(chainer.backends.cuda.available, reason='has CUDA')
def test_gpu_without_cuda_is_a_clear_error():
    from faceapp import devices
    with pytest.raises(ValueError, match='--gpu 1: CuPy with CUDA'):
        devices.get_device(1)
    assert devices.get_device(-1).xp.__name__ == 'numpy'
