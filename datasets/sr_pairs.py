"""Training pairs for super-resolution: a face and the same face shrunk.

The small picture is made exactly as ``translate.py`` makes the generator's
input from a face in a photo (:func:`datasets.transforms.resize`, Lanczos
when shrinking), so the network learns to undo that step.
"""
import os

import chainer
import numpy

from datasets import folder
from datasets.image_files import DatasetError
from datasets.image_files import IMAGE_EXTENSIONS
from datasets.labeled_images import LabeledImageDataset
from datasets import transforms


class SuperResolutionPairs(chainer.dataset.DatasetMixin):
    """``(low, high)`` pairs from a dataset of faces at the high resolution.

    ============== ==================== ======== ===============
    name           shape                dtype    format
    ============== ==================== ======== ===============
    low            ``(3, S, S)``        float32  RGB in [-1, 1]
    high           ``(3, fS, fS)``      float32  RGB in [-1, 1]
    ============== ==================== ======== ===============

    Args:
        faces: Any dataset of ``(image float32 (3, fS, fS) in [-1, 1],
            label)`` (the label is ignored).
        scale (int): The factor f; ``fS`` must be divisible by it.
    """

    def __init__(self, faces, scale):
        self.faces, self.scale = faces, int(scale)

    def __len__(self):
        return len(self.faces)

    def get_example(self, i):
        """Returns ``(low, high)``; see the class table."""
        high = numpy.asarray(self.faces[i][0], numpy.float32)
        side = high.shape[-1]
        if side % self.scale:
            raise ValueError('faces of {} px cannot be shrunk {} times'
                             .format(side, self.scale))
        small = transforms.resize(transforms.from_chw_float(high),
                                  side // self.scale)
        return transforms.to_chw_float(small), high


def image_files_under(root):
    """Sorted paths of every picture under ``root``, recursively (hidden
    files and folders left out)."""
    found = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        found += [os.path.join(here, f) for f in files
                  if f.lower().endswith(IMAGE_EXTENSIONS)
                  and not f.startswith('.')]
    return sorted(found)


def face_folder(root, size, split, test_fraction=0.1, seed=0):
    """Every face picture under ``root`` (any layout, e.g. prepare.py's
    crops or a folder per domain) as a dataset of ``(image float32 (3, S,
    S), label float32 (1,) zero)``: the centred square, resized to ``size``.

    Args:
        root (str): The folder.
        size (int): Side S.
        split (str): ``'train'``, ``'test'`` or ``'all'`` (see
            :func:`datasets.folder.split_files`).
        test_fraction (float): Share held out as the test split.
        seed (int): Split seed.

    Raises:
        DatasetError: No pictures there, or none in the split.
    """
    if not os.path.isdir(root):
        raise DatasetError('{} is not a folder of face pictures'.format(root))
    files = image_files_under(root)
    files = [files[k] for k in folder.keep_large_enough(files, root)]
    files = folder.split_files(files, split, test_fraction, seed)
    if not files:
        raise DatasetError('{} holds no pictures ({}) for its {} split; '
                           'give a folder of face crops'.format(
                               root, ' '.join(IMAGE_EXTENSIONS), split))
    return LabeledImageDataset(files, numpy.zeros((len(files), 1)), size,
                               where=root)
