"""Face detection with OpenCV cascades and square face crops.

Photos use OpenCV's Haar frontal-face cascade (shipped with opencv-python
4.x); illustrations can use any other cascade file, e.g.
``lbpcascade_animeface.xml``.
"""
import os

import cv2
import numpy

from datasets.image_files import DatasetError
from datasets import transforms

#: OpenCV's frontal-face Haar cascade for photographs.
DEFAULT_CASCADE = os.path.join(cv2.data.haarcascades,
                               'haarcascade_frontalface_default.xml')


def load_cascade(path=None):
    """Loads a cascade classifier.

    Args:
        path (str or None): Cascade XML; None loads :data:`DEFAULT_CASCADE`.

    Returns:
        cv2.CascadeClassifier: A non-empty classifier.

    Raises:
        DatasetError: The file is missing or not a cascade OpenCV can load.
    """
    path = DEFAULT_CASCADE if path is None else path
    if not os.path.isfile(path):
        raise DatasetError('cascade file {} does not exist; give the path of '
                           'an OpenCV cascade XML (e.g. '
                           'lbpcascade_animeface.xml)'.format(path))
    cascade = cv2.CascadeClassifier()
    why = 'it holds no cascade'
    try:
        # load() reports most bad files by raising, some by returning False.
        loaded = cascade.load(path)
    except cv2.error as e:
        loaded, why = False, str(e).strip()
    if not loaded or cascade.empty():
        raise DatasetError('{} is not a cascade OpenCV can load ({}); give '
                           'an OpenCV cascade XML file'.format(path, why))
    return cascade


def detect_faces(img, cascade, min_size=32, scale_factor=1.1,
                 min_neighbors=5, border=0.125, max_side=1024):
    """Finds faces, largest first.

    The grey picture is histogram-equalised (cascades were trained on
    varied lighting), padded by ``border`` times its size with repeated edge
    pixels (so that faces touching the frame, common in cropped
    illustrations, still fit the detector's window) and shrunk to at most
    ``max_side`` pixels (detection time grows with area).

    Args:
        img (numpy.ndarray): uint8 ``(H, W, 3)`` RGB.
        cascade (cv2.CascadeClassifier): From :func:`load_cascade`.
        min_size (int): Smallest face side, in pixels of ``img``.
        scale_factor (float): Scale step of the detector's pyramid.
        min_neighbors (int): Overlapping detections needed to accept a face.
        border (float): Padding on each side, as a fraction of the size.
        max_side (int): Longest side the detector sees.

    Returns:
        numpy.ndarray: int64 ``(K, 4)`` boxes ``(x, y, w, h)`` in ``img``
        coordinates (they may reach past its borders), by decreasing area.
    """
    grey = cv2.cvtColor(numpy.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
    grey = cv2.equalizeHist(grey)
    h, w = grey.shape
    pad = int(round(border * max(h, w)))
    if pad:
        grey = cv2.copyMakeBorder(grey, pad, pad, pad, pad,
                                  cv2.BORDER_REPLICATE)
    scale = min(1., float(max_side) / max(grey.shape))
    if scale < 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale,
                          interpolation=cv2.INTER_AREA)
    side = max(1, int(round(min_size * scale)))
    found = cascade.detectMultiScale(grey, scaleFactor=scale_factor,
                                     minNeighbors=min_neighbors,
                                     minSize=(side, side))
    boxes = numpy.round(numpy.asarray(found, dtype=numpy.float64)
                        .reshape(-1, 4) / scale).astype(numpy.int64)
    boxes[:, :2] -= pad
    order = numpy.argsort(-boxes[:, 2] * boxes[:, 3], kind='stable')
    return boxes[order]


def face_square(face, margin, height, width):
    """The square crop around a face, kept inside the picture where it fits.

    The face box is made square about its centre and grown by ``margin``
    times its side on every side. When the square fits in the picture but
    crosses a border it is shifted inside (real pixels are better than
    padding; the face stays wholly inside because the shift is at most the
    margin). A square larger than the picture is centred on the face and
    padded by :func:`~datasets.transforms.crop_box`.

    Args:
        face (sequence of int): ``(x, y, w, h)`` face box.
        margin (float): Extra context per side, as a fraction of the face.
        height (int): Picture height.
        width (int): Picture width.

    Returns:
        tuple of int: ``(top, left, bottom, right)``, bottom and right
        exclusive, ``bottom - top == right - left``.
    """
    x, y, w, h = (float(v) for v in face)
    side = int(round(max(w, h) * (1 + 2 * margin)))
    top = int(round(y + h / 2. - side / 2.))
    left = int(round(x + w / 2. - side / 2.))
    if side <= height:
        top = min(max(top, 0), height - side)
    if side <= width:
        left = min(max(left, 0), width - side)
    return top, left, top + side, left + side


def crop_face(img, face, margin, size):
    """Cuts the square around a face and resizes it.

    Args:
        img (numpy.ndarray): uint8 ``(H, W, 3)`` RGB.
        face (sequence of int): ``(x, y, w, h)`` face box.
        margin (float): As in :func:`face_square`.
        size (int): Output side.

    Returns:
        numpy.ndarray: uint8 ``(size, size, 3)``.
    """
    box = face_square(face, margin, img.shape[0], img.shape[1])
    return transforms.resize(transforms.crop_box(img, box), size)
