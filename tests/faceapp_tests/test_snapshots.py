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


def _npy_named_npz(tmp_path):
    """A ``.npy`` file under an ``.npz`` name: numpy.load returns an array,
    not an archive."""
    np.save(str(tmp_path / 'one.npy'), np.zeros(3, np.float32))
    path = tmp_path / 'one.npz'
    path.write_bytes((tmp_path / 'one.npy').read_bytes())
    return str(path)


@pytest.mark.parametrize('read', [
    lambda p: snapshots.load_npz(p, L.Linear(3, 2)),
    snapshots.read_arrays,
    snapshots.npz_keys,
    lambda p: snapshots.has_key_prefix(p, 'updater/model:gen/'),
])
def test_every_reader_says_what_an_unreadable_file_is(tmp_path, read):
    garbage = tmp_path / 'bad.npz'
    garbage.write_bytes(b'hello')
    with pytest.raises(snapshots.UnsafeFileError,
                       match='bad.npz is not an .npz .zip. archive: it '
                       'starts with b.hello'):
        read(str(garbage))
    with pytest.raises(snapshots.UnsafeFileError,
                       match='one.npz is not an .npz .zip. archive'):
        read(_npy_named_npz(tmp_path))


def test_keys_are_listed_and_an_npy_file_is_no_export(tmp_path):
    from faceapp import export
    path = str(tmp_path / 'm.npz')
    np.savez(path, **{'updater/model:gen/W': np.zeros(2), 'b': np.ones(1)})
    assert sorted(snapshots.npz_keys(path)) == ['b', 'updater/model:gen/W']
    assert snapshots.has_key_prefix(path, 'updater/model:gen/')
    assert not snapshots.has_key_prefix(path, 'updater/model:gen_ab/')
    assert not export.is_export(path)
    assert not export.is_export(_npy_named_npz(tmp_path))


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
