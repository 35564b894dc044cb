"""Fixtures shared across test packages."""
import pytest

import datasets
from extensions import evaluation
from faceapp import judging


@pytest.fixture(scope='session')
def cyclegan_run(tmp_path_factory):
    """A tiny trained CycleGAN run dir (smile <-> sad); read it only."""
    import train
    out = str(tmp_path_factory.mktemp('cyclegan'))
    assert train.main(['--model', 'cyclegan', '--domains', 'smile', 'sad',
                       '--preset', 'tiny', '--n-train', '30', '--n-test',
                       '15', '--iterations', '2', '--out', out]) == 0
    return out


#: A tiny x2 super-resolution run on synthetic faces (16 -> 32 px).
SR_ARGS = ['--image-size', '16', '--scale', '2', '--n-train', '100',
           '--n-test', '20', '--iterations', '80', '--log-interval', '10',
           '--channels', '16', '--seed', '0']


@pytest.fixture(scope='session')
def sr_run(tmp_path_factory):
    """A tiny trained train_sr.py run dir (see :data:`SR_ARGS`); read it
    only."""
    import train_sr
    out = str(tmp_path_factory.mktemp('sr'))
    assert train_sr.main(SR_ARGS + ['--out', out]) == 0
    return out


@pytest.fixture(scope='session')
def synthetic_judge():
    """A domain classifier trained on real 32 px synthetic faces.

    Returns:
        tuple: ``(classifier, held-out accuracy)``.
    """
    x, c = evaluation.dataset_arrays(
        datasets.SyntheticFaceDataset(1000, 32, 'train', seed=1))
    x_test, c_test = evaluation.dataset_arrays(
        datasets.SyntheticFaceDataset(200, 32, 'test', seed=1))
    return judging.get_classifier(x, c, [5], x_test, c_test,
                                  iterations=300, width=16, seed=0)


@pytest.fixture
def failing_writes(monkeypatch):
    """Makes creating files under a folder fail as on a read-only or full
    disk (the tests run as root, whom chmod does not stop).

    Returns:
        callable: ``arm(folder, err=errno.EROFS, skip=0)``: from then on
        the file creations under ``folder`` raise ``OSError(err)``, after
        the first ``skip`` of them; with ``skip=0`` new folders fail too.
    """
    import builtins
    import errno
    import os

    real = dict(open=builtins.open, os_open=os.open, mkdir=os.mkdir)

    def arm(folder, err=errno.EROFS, skip=0):
        folder = os.path.abspath(str(folder))
        left = [skip]
        dirs_fail = skip == 0

        def fails(path):
            path = os.path.abspath(os.fspath(path))
            if not (path == folder or path.startswith(folder + os.sep)):
                return False
            left[0] -= 1
            return left[0] < 0

        def error(path):
            return OSError(err, os.strerror(err), os.fspath(path))

        def os_open(path, flags, *args, **kwargs):
            if flags & os.O_CREAT and fails(path):
                raise error(path)
            return real['os_open'](path, flags, *args, **kwargs)

        def mkdir(path, *args, **kwargs):
            if dirs_fail and fails(path):
                raise error(path)
            return real['mkdir'](path, *args, **kwargs)

        def open_(file, mode='r', *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and \
                    set(mode) & set('wax+') and fails(file):
                raise error(file)
            return real['open'](file, mode, *args, **kwargs)

        monkeypatch.setattr(os, 'open', os_open)
        monkeypatch.setattr(os, 'mkdir', mkdir)
        monkeypatch.setattr(builtins, 'open', open_)
    return arm


@pytest.fixture
def refused(capsys):
    """Runs a script's ``main`` that must refuse, with an exit code but no
    traceback.

    Returns:
        callable: ``(main, argv) -> the last line of stderr``.
    """
    def run(main, argv):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code != 0
        err = capsys.readouterr().err
        assert 'Traceback' not in err
        return err.strip().splitlines()[-1]
    return run


@pytest.fixture
def device_array_type():
    """A numpy array type standing for arrays on a GPU: every way of
    reading one on the host (``float``, ``int``, ``bool``, ``item``,
    ``tolist``) counts in the class's ``syncs``, as a wait for the device
    would; numpy's functions keep the type, as CuPy's keep arrays on the
    device. ``DeviceArray.of(a)`` views ``a`` as one."""
    import numpy

    class DeviceArray(numpy.ndarray):
        syncs = 0

        @classmethod
        def of(cls, a):
            return numpy.asarray(a).view(cls)

        def _sync(self):
            DeviceArray.syncs += 1
            return self.view(numpy.ndarray)

        def __array_function__(self, func, types, args, kwargs):
            out = func._implementation(*args, **kwargs)
            return DeviceArray.of(out) if isinstance(
                out, (numpy.ndarray, numpy.generic)) else out

        def __array_wrap__(self, obj, context=None):
            return DeviceArray.of(obj)

        def __getitem__(self, index):
            return DeviceArray.of(super().__getitem__(index))

        def __float__(self):
            return float(self._sync())

        def __int__(self):
            return int(self._sync())

        def __bool__(self):
            return bool(self._sync())

        def item(self, *args):
            return self._sync().item(*args)

        def tolist(self):
            return self._sync().tolist()

    return DeviceArray


@pytest.fixture
def recording_device(monkeypatch):
    """``(device, gpus)``: ``faceapp.devices.get_device`` patched to give
    ``device``, a CPU device that counts its ``use()`` calls in
    ``device.used``, and to record the ``--gpu`` values asked for in
    ``gpus``; for scripts' device handling without a GPU."""
    import chainer
    from faceapp import devices

    class RecordingDevice(chainer.backend.CpuDevice):
        used = 0

        def use(self):
            RecordingDevice.used += 1

    device, gpus = RecordingDevice(), []
    monkeypatch.setattr(devices, 'get_device',
                        lambda gpu: gpus.append(gpu) or device)
    return device, gpus
