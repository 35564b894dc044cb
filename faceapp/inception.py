"""Features of a pretrained network the user supplies, for Inception-style
FID. Nothing is downloaded: without a weights file the metric is skipped.

The supported file is chainer's own GoogLeNet (Inception v1) npz, e.g. made
once with ``chainer.links.GoogLeNet.convert_caffemodel_to_npz`` from BVLC's
published caffemodel. Its 1024-d ``pool5`` features play the role that
Inception-v3's pool3 features play in the usual FID, so the numbers are
comparable between models evaluated here, not with published FIDs.
"""
import cv2
import numpy

import chainer
import chainer.links as L

from faceapp import snapshots
from stargan.forward import forward_in_batches

#: BGR mean of ImageNet used by the BVLC GoogLeNet.
_MEAN_BGR = numpy.array([104., 117., 123.], numpy.float32)


def _prepare(images):
    """[-1, 1] RGB ``(M, 3, S, S)`` -> mean-subtracted BGR ``(M, 3, 224,
    224)`` (resized on the CPU: chainer 7.8.1's resize_images uses the
    ``numpy.float`` alias that numpy 1.24 removed)."""
    hwc = ((numpy.asarray(images, numpy.float32) + 1) * 127.5).transpose(
        0, 2, 3, 1)[..., ::-1]
    out = numpy.stack([cv2.resize(numpy.ascontiguousarray(img), (224, 224),
                                  interpolation=cv2.INTER_LINEAR)
                       for img in hwc]) - _MEAN_BGR
    return numpy.ascontiguousarray(out.transpose(0, 3, 1, 2))


def load_feature_network(path, device='@numpy'):
    """Loads a GoogLeNet npz safely and returns a feature function.

    Args:
        path (str): Weights in chainer's ``L.GoogLeNet`` npz layout.
        device: ``chainer.get_device`` specifier.

    Returns:
        callable: float32 images ``(M, 3, S, S)`` in [-1, 1] (RGB) ->
        numpy float64 ``(M, 1024)`` pool5 features.

    Raises:
        ~faceapp.snapshots.UnsafeFileError: The file is missing, unsafe or
            not GoogLeNet weights.
    """
    net = L.GoogLeNet(pretrained_model=None)
    snapshots.load_npz(path, net)
    device = chainer.get_device(device)
    net.to_device(device)

    def features(images, batch_size=16):
        h = forward_in_batches(
            lambda x: net.forward(x, layers=['pool5'])['pool5'], (images,),
            device, batch_size, prepare=_prepare)
        return h.reshape(len(h), -1).astype(numpy.float64)
    return features
