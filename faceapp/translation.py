"""Translating the faces in whole pictures: the library behind translate.py.

Per picture: read (any size or mode, as RGB) -> face boxes (a cascade
detector and prepare.py's square-with-margin crop, or the centred square of
a picture that already is a face crop) -> crops at the model's size ->
generator, batched across pictures, faces and target labels -> resize back
-> paste with a feathered mask -> write.
"""
import collections
import os
import sys

import numpy
from PIL import Image


from datasets import atomic
from datasets.image_files import DatasetError
from datasets.image_files import read_image
from datasets import image_grid as images
from datasets.preparation import faces
from datasets import transforms
from faceapp import outputs
from faceapp.translation_files import output_paths
from stargan.conv import functions as conv
from stargan import editing
from stargan.forward import forward_in_batches

#: What to make of each picture: ``kind`` is ``'target'``, ``'all'`` or
#: ``'interpolate'``; ``labels`` float32 ``(K, L)``; ``captions`` K strings;
#: ``suffix`` what output names add to the picture's name (see
#: :func:`faceapp.translation_files.name_suffix`).
Plan = collections.namedtuple('Plan', 'kind labels captions suffix')

class Translator(object):
    """Runs the generator on face crops in mini-batches.

    Args:
        generator: The model, called as ``generator(x, c)``: a
            :class:`~stargan.models.stargan.Generator` or a
            :class:`~faceapp.cyclegan_export.CycleGANPair` (``c`` one-hot
            over its two domains).
        device (chainer.backend.Device): Where to run it.
        batch_size (int): Crops per forward pass.
    """

    def __init__(self, generator, device, batch_size=16):
        self.generator, self.device = generator, device
        self.batch_size = max(1, int(batch_size))
        generator.to_device(device)

    def __call__(self, crops, labels):
        """Translates crops to labels.

        Args:
            crops (numpy.ndarray): uint8 ``(N, S, S, 3)``.
            labels (numpy.ndarray): float32 ``(N, L)``.

        Returns:
            numpy.ndarray: uint8 ``(N, S, S, 3)``.
        """
        if not len(crops):
            return numpy.zeros((0,) + tuple(crops.shape[1:]), numpy.uint8)
        return forward_in_batches(
            self.generator, (crops, labels), self.device, self.batch_size,
            prepare=lambda x, c: (
                numpy.stack([transforms.to_chw_float(i) for i in x]),
                numpy.asarray(c, dtype=numpy.float32)),
            finish=images.to_uint8, context=conv.translating())


class FaceBoxes(object):
    """Where the faces of a picture are, as square crop boxes.

    Args:
        cascade (cv2.CascadeClassifier or None): Detector; None treats each
            picture as a face crop and takes its centred square, as the
            training data loaders do.
        margin (float): Context per side, as a fraction of the face
            (prepare.py's ``--margin``).
        min_face (int): Smallest face side, in pixels.
        largest (bool): Keep only the largest face.
    """

    def __init__(self, cascade=None, margin=0.25, min_face=32,
                 largest=False):
        self.cascade, self.margin = cascade, margin
        self.min_face, self.largest = min_face, largest

    def __call__(self, img):
        """Boxes of uint8 ``(H, W, 3)`` ``img``: ``(top, left, bottom,
        right)`` tuples, largest face first; empty when none is found."""
        h, w = img.shape[:2]
        if self.cascade is None:
            s = min(h, w)
            top, left = (h - s) // 2, (w - s) // 2
            return [(top, left, top + s, left + s)]
        found = faces.detect_faces(img, self.cascade, min_size=self.min_face)
        boxes = [faces.face_square(f, self.margin, h, w) for f in found]
        return boxes[:1] if self.largest else boxes


def edit_pictures(pictures, labels, translator, size, feather,
                  upscale=None):
    """Translates every face of every picture to every label.

    Args:
        pictures (list): ``(img uint8 (H, W, 3), boxes)`` pairs.
        labels (numpy.ndarray): float32 ``(K, L)`` targets.
        translator (Translator): The model.
        size (int): The model's image side S.
        feather (float): Fade width as a fraction of the box side.
        upscale (callable or None): ``upscale(patches, sides)``, e.g. a
            :class:`faceapp.sr_export.Upscaler`: enlarges the translated
            faces before each is resized to its box side; None: bicubic
            from the model's size.

    Returns:
        list of list of numpy.ndarray: Per picture, K uint8 ``(H, W, 3)``
        edited pictures (the picture itself where it has no box).
    """
    crops, index, sides = [], [], []
    for p, (img, boxes) in enumerate(pictures):
        for box in boxes:
            crop = transforms.resize(transforms.crop_box(img, box), size)
            for k in range(len(labels)):
                crops.append(crop)
                index.append((p, k))
                sides.append(box[2] - box[0])
    out = translator(numpy.asarray(crops, dtype=numpy.uint8).reshape(
        (-1, size, size, 3)), labels[[k for _, k in index]])
    if upscale is not None:
        out = upscale(out, sides)
    edited = [[img] * len(labels) for img, _ in pictures]
    seen = collections.Counter()
    for (p, k), patch in zip(index, out):
        img, boxes = pictures[p]
        box = boxes[seen[p, k]]
        seen[p, k] += 1
        side = box[2] - box[0]
        widths = editing.feather_widths(box, img.shape[0], img.shape[1],
                                        feather)
        edited[p][k] = editing.paste(
            edited[p][k], transforms.resize(patch, side), box,
            editing.feather_mask(side, side, widths))
    return edited


def grid_cell(img, side):
    """uint8 ``(side, side, 3)``: the picture letterboxed on white."""
    h, w = img.shape[:2]
    s = max(h, w)
    square = numpy.full((s, s, 3), 255, numpy.uint8)
    top, left = (s - h) // 2, (s - w) // 2
    square[top:top + h, left:left + w] = img
    return transforms.resize(square, side)


def write_outputs(plan, original, edited, out_stem):
    """Writes one picture's results (see
    :func:`~faceapp.translation_files.output_paths`).

    Args:
        plan (Plan): What was made.
        original (numpy.ndarray): uint8 ``(H, W, 3)`` input picture.
        edited (list of numpy.ndarray): K uint8 ``(H, W, 3)`` results.
        out_stem (str): Output path without extension.

    Returns:
        list of str: The paths written.
    """
    paths = output_paths(plan, out_stem)
    if plan.kind == 'target':
        images.save_image_atomic(Image.fromarray(edited[0]), paths[0])
        return paths
    side = int(numpy.clip(max(original.shape[:2]), 64, 256))
    shown = ([original] if plan.kind == 'all' else []) + list(edited)
    names = (['input'] if plan.kind == 'all' else []) + list(plan.captions)
    cells = numpy.stack([grid_cell(im, side) for im in shown])[None]
    grid = images.tile_grid(cells, names, cell_size=side)
    images.save_image_atomic(grid, paths[0])
    if plan.kind == 'interpolate':
        # Fast octree palettes: PIL's default quantiser takes seconds per
        # frame of a photo.
        frames = [Image.fromarray(im).quantize(256, Image.FASTOCTREE)
                  for im in edited]
        frames += frames[-2:0:-1]  # back again, for a seamless loop
        with atomic.atomic_open(paths[1]) as f:
            frames[0].save(f, format='GIF', save_all=True,
                           append_images=frames[1:], duration=200, loop=0)
    return paths


def _open_picture(path, outputs, finder, keep_unmatched, log, inputs):
    """Reads a picture and finds its faces; raises DatasetError to skip.

    ``inputs`` holds the real paths of all pictures of the run: an output
    that is one of them (its own or another's) is refused.
    """
    if not os.path.exists(path):
        raise DatasetError('{}: no such picture or folder'.format(path))
    for o in outputs:
        if os.path.realpath(o) in inputs:
            raise DatasetError('{} would be overwritten by the translation '
                               'of {}; choose another --out'.format(o, path))
    img = read_image(path)
    boxes = finder(img)
    if not boxes:
        if not keep_unmatched:
            raise DatasetError(
                'no face found in {} (--no-detect for face crops, --cascade '
                'for illustrations, --keep-unmatched to copy it as it is)'
                .format(path))
        print('\nno face found in {}; written unchanged'.format(path),
              file=log)
    return img, boxes


def run(inputs, out_dir, plan, finder, translator, size, feather=0.12,
        keep_unmatched=False, batch_size=16, progress=None, log=None,
        upscale=None):
    """Translates pictures and writes the results under ``out_dir``.

    Pictures are read ``batch_size`` at a time so that the generator sees
    full batches even when each picture has one face. A picture that cannot
    be read, or (without ``keep_unmatched``) holds no face, is reported and
    skipped.

    Args:
        inputs (list): From
            :func:`~faceapp.translation_files.list_inputs`.
        out_dir (str): Output folder.
        plan (Plan): What to make.
        finder (FaceBoxes): Face boxes of a picture.
        translator (Translator): The model.
        size (int): The model's image side.
        feather (float): As in :func:`edit_pictures`.
        keep_unmatched (bool): Write pictures without a face unchanged.
        batch_size (int): Pictures read at a time.
        progress (callable or None): ``progress(done, total)``.
        log (file or None): Where problems are reported; default stderr.
        upscale (callable or None): As in :func:`edit_pictures`.

    Returns:
        tuple: ``(written paths, failure messages)``.

    Raises:
        ~faceapp.outputs.OutputError: A result could not be written
            (full disk, read-only); the results before it are complete.
    """
    log = log or sys.stderr
    written, failures = [], []
    pictures = {os.path.realpath(p) for p, _ in inputs}
    for start in range(0, len(inputs), max(1, batch_size)):
        chunk = []
        for path, stem in inputs[start:start + batch_size]:
            try:
                img, boxes = _open_picture(
                    path, output_paths(plan, os.path.join(out_dir, stem)),
                    finder, keep_unmatched, log, pictures)
            except DatasetError as e:
                failures.append(str(e))
                print('\n' + str(e), file=log)
                continue
            chunk.append((img, boxes, stem))
        edited = edit_pictures([(i, b) for i, b, _ in chunk], plan.labels,
                               translator, size, feather, upscale)
        with outputs.write_errors(out_dir):
            for (img, _, stem), outs in zip(chunk, edited):
                written += write_outputs(plan, img, outs,
                                         os.path.join(out_dir, stem))
        if progress is not None:
            progress(min(start + batch_size, len(inputs)), len(inputs))
    return written, failures
