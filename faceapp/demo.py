"""The edits behind ``demo.py``'s web page, through translate.py's pipeline.

A :class:`DemoModel` holds a loaded generator (StarGAN or CycleGAN) and
turns one uploaded photo plus the page's choices into edited photos:
:class:`faceapp.translation.FaceBoxes` finds the faces (or takes the centred
square of a face crop) and :func:`faceapp.translation.edit_pictures`
translates and pastes them back, exactly as ``translate.py`` does. The HTTP
side is :mod:`faceapp.demo_server`.
"""
import io
import os
import threading

import numpy

import chainer

from datasets.image_files import DatasetError
from datasets.image_files import read_image
from faceapp import cyclegan_export
from faceapp import export
from faceapp import translation
from stargan.labels import joint_specs


class DemoError(ValueError):
    """A request the page cannot be given a result for; the message says
    what to change, in the page's words."""


class _Upload(io.BytesIO):
    """Uploaded bytes that :func:`~datasets.image_files.read_image` names by
    the file's name in its messages."""

    def __init__(self, data, name):
        super(_Upload, self).__init__(data)
        self.name = name

    def __str__(self):
        return self.name

    __repr__ = __str__  # PIL's messages show the file object's repr


def target_words(layout):
    """The targets the page offers, each a label spec of one word.

    An exclusive group's values (``smile``), and for a binary attribute both
    ``Male`` (set to 1) and ``Male=0``; a joint model lists every dataset's.

    Args:
        layout: A :class:`~stargan.labels.specs.LabelLayout` or
            :class:`~stargan.labels.joint_specs.JointLabelLayout`.

    Returns:
        list of str
    """
    words = []
    for part in getattr(layout, 'parts', [layout]):
        start = 0
        for size in part.sizes:
            names = part.names[start:start + size]
            words += names if size > 1 else [names[0], names[0] + '=0']
            start += size
    return words


def groups_of(layout):
    """``[[group, [values]], ...]`` of every dataset of ``layout``."""
    out = []
    for part in getattr(layout, 'parts', [layout]):
        start = 0
        for group, size in zip(part.groups, part.sizes):
            out.append([group, part.names[start:start + size]])
            start += size
    return out


class DemoModel(object):
    """A generator and what the page may ask of it.

    Args:
        generator: As :class:`faceapp.translation.Translator` takes it.
        config (dict): The model's export config
            (:func:`faceapp.model_loading.load_model`).
        device (chainer.backend.Device): Where the generator runs.
        cascade (cv2.CascadeClassifier): The face detector.
        batch_size (int): Crops per generator pass.
        feather (float): Soft edge of each pasted face, as a fraction of
            its crop (translate.py's ``--feather``).
        min_face (int): Smallest face side in pixels.
    """

    def __init__(self, generator, config, device, cascade, batch_size=16,
                 feather=0.12, min_face=32):
        self.config = config
        self.layout = joint_specs.layout_for(config)
        self.cyclegan = config.get('model') == cyclegan_export.MODEL
        self.translator = translation.Translator(generator, device,
                                                 batch_size)
        self.cascade, self.feather, self.min_face = cascade, feather, min_face
        self.margin = float(config.get('face_margin',
                                       export.DEFAULT_FACE_MARGIN))
        # One edit at a time: the page's requests come on server threads.
        self._lock = threading.Lock()

    def info(self):
        """What the page shows and offers, as JSON-ready values.

        Returns:
            dict: ``model`` (``'stargan'``/``'cyclegan'``), ``image_size``,
            ``groups`` (``[[group, [values]], ...]``), ``targets`` (the
            target words), ``directions`` (CycleGAN's ``a->b`` names, else
            empty) and ``strength`` (whether the slider means anything).
        """
        return {
            'model': 'cyclegan' if self.cyclegan else 'stargan',
            'image_size': int(self.config['image_size']),
            'groups': groups_of(self.layout),
            'targets': target_words(self.layout),
            'directions': [d[0] for d in self.config.get('directions', [])],
            'strength': not self.cyclegan}

    def plan(self, targets, gallery=False, source=None, strength=1.,
             combine=False):
        """The captions and labels of one request.

        Args:
            targets (list of str): Target words; each its own result, or
                with ``combine`` all applied together as one.
            gallery (bool): Every domain instead (as ``translate.py --all``).
            source (str or None): What the photo shows (a target word);
                None: the model's default labels.
            strength (float): 0 keeps the source label, 1 is the target;
                the labels in between move on the straight line.
            combine (bool): See ``targets``.

        Returns:
            tuple: ``(captions, float32 (K, L) labels)``.

        Raises:
            DemoError: An unknown or contradictory label, a strength
                outside [0, 1], or a strength or source for a CycleGAN.
        """
        if not 0 <= strength <= 1:
            raise DemoError('the strength must lie in [0, 1], got {}'.format(
                strength))
        if self.cyclegan and (strength != 1 or source):
            raise DemoError('strength and source need a StarGAN model; this '
                            'is a CycleGAN: pick its output domain only')
        try:
            base = self.layout.parse([source]) if source else \
                self.layout.default()
            if gallery:
                pairs = self.layout.all_targets(base)
            else:
                if not targets:
                    raise DemoError('pick at least one target domain')
                groups = [targets] if combine else [[t] for t in targets]
                pairs = [(' '.join(g), self.layout.parse(g, base))
                         for g in groups]
        except DemoError:
            raise
        except ValueError as e:
            raise DemoError(str(e))
        labels = numpy.stack([c for _, c in pairs]).astype(numpy.float32)
        if not self.cyclegan:
            labels = (1 - strength) * base[None] + strength * labels
        return [n for n, _ in pairs], labels.astype(numpy.float32)

    def edit(self, data, name, captions, labels, face_crop=False):
        """Edits every face of one uploaded photo to every label.

        Args:
            data (bytes): The picture file as uploaded (any format and mode
                PIL reads; shown as RGB).
            name (str): Its file name, for messages.
            captions (list of str): From :meth:`plan`.
            labels (numpy.ndarray): float32 ``(K, L)``, from :meth:`plan`.
            face_crop (bool): The photo is a face crop: translate its centred
                square, as ``translate.py --no-detect``.

        Returns:
            tuple: ``(picture uint8 (H, W, 3), faces found, results)``:
            ``results`` are K ``(caption, uint8 (H, W, 3))`` pairs.

        Raises:
            DemoError: Not a readable picture, or no face found.
        """
        try:
            img = read_image(_Upload(data, os.path.basename(name)))
        except DatasetError as e:
            raise DemoError('{} Choose a photo (PNG, JPEG, ...).'.format(
                str(e).replace(' Remove or replace the file.', '')))
        finder = translation.FaceBoxes(
            None if face_crop else self.cascade, self.margin, self.min_face)
        boxes = finder(img)
        if not boxes:
            raise DemoError(
                'No face found in {}. If the photo is a face crop (a face '
                'filling the picture, as in the training data), switch on '
                '"treat as a face crop".'.format(os.path.basename(name)))
        # Server threads start on CuPy's device 0; --gpu 1 needs its own.
        with self._lock, chainer.using_device(self.translator.device):
            edited = translation.edit_pictures(
                [(img, boxes)], labels, self.translator,
                int(self.config['image_size']), self.feather)[0]
        return img, len(boxes), list(zip(captions, edited))
