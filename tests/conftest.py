"""Fixtures shared across test packages."""
import pytest

import datasets
from extensions import evaluation


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
    return evaluation.get_classifier(x, c, [5], x_test, c_test,
                                     iterations=300, width=16, seed=0)


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
    """``(device, gpus)``: ``extensions.devices.get_device`` patched to give
    ``device``, a CPU device that counts its ``use()`` calls in
    ``device.used``, and to record the ``--gpu`` values asked for in
    ``gpus``; for scripts' device handling without a GPU."""
    import chainer
    from extensions import devices

    class RecordingDevice(chainer.backend.CpuDevice):
        used = 0

        def use(self):
            RecordingDevice.used += 1

    device, gpus = RecordingDevice(), []
    monkeypatch.setattr(devices, 'get_device',
                        lambda gpu: gpus.append(gpu) or device)
    return device, gpus
