"""The base of the file-backed datasets: labelled picture files decoded on
demand with :mod:`datasets.image_files`'s safe reads, bad files refused up
front or skipped."""
import os
import warnings

import numpy

import chainer

from datasets.image_files import BadImageWarning
from datasets.image_files import DatasetError
from datasets.image_files import MAX_PIXELS
from datasets.image_files import probe_image
from datasets.image_files import read_image
from datasets import transforms


def keep_readable(paths, where, max_pixels=MAX_PIXELS):
    """Probes every file and returns the indices of the good ones.

    Issues one :class:`BadImageWarning` naming a few of the skipped files.

    Args:
        paths (list of str): Image files.
        where (str): Dataset name for the messages (e.g. its root).
        max_pixels (int or None): As in :func:`read_image`.

    Returns:
        list of int: Indices into ``paths`` of the readable files.
    """
    keep, bad = [], []
    for k, path in enumerate(paths):
        try:
            probe_image(path, max_pixels)
            keep.append(k)
        except DatasetError as e:
            bad.append(str(e))
    if bad:
        warnings.warn('skipped {} unreadable image(s) of {}: {}{}'.format(
            len(bad), where, '; '.join(bad[:3]),
            ' ...' if len(bad) > 3 else ''), BadImageWarning, stacklevel=3)
    return keep


def _refuse_empty(paths, where):
    """Raises DatasetError naming the zero-byte files among ``paths``."""
    empty = [p for p in paths if os.path.isfile(p) and not os.path.getsize(p)]
    if empty:
        raise DatasetError(
            '{} empty (0-byte) image file(s) in {}: {}{}; remove them, or '
            'leave them out with --skip-bad'.format(
                len(empty), where, ', '.join(empty[:3]),
                ' ...' if len(empty) > 3 else ''))


class LabeledImageDataset(chainer.dataset.DatasetMixin):
    """Labelled image files decoded on demand: the base of the file loaders.

    ============== ================ ======== ==========================
    name           shape            dtype    format
    ============== ================ ======== ==========================
    image          ``(3, S, S)``    float32  RGB in [-1, 1]
    label          ``(L,)``         float32  0/1, layout of the subclass
    ============== ================ ======== ==========================

    With ``skip_bad`` every file is probed up front (:func:`probe_image`)
    and the bad ones are left out; a file that still fails to decode later
    (a truncated JPEG) is replaced by the next readable example, with a
    :class:`BadImageWarning`. ``n_skipped`` counts both. Without
    ``skip_bad`` empty files are refused up front (a size check, cheap on
    any number of files) and a bad file raises :class:`DatasetError` when
    it is read, unless ``skip_unreadable`` is set.

    Args:
        files (list of str): Image paths.
        labels (numpy.ndarray): float32 ``(N, L)``.
        size (int): Output side S.
        crop (int or None): Side of the centred square cut before resizing;
            None takes the largest centred square.
        flip (bool): Random horizontal flips (for training).
        seed (int): Seed of the flips.
        skip_bad (bool): Leave out unreadable files instead of failing.
        where (str): Dataset name used in messages.

    Attributes:
        files (list of str): The paths, in example order.
        labels (numpy.ndarray): float32 ``(N, L)``.
        n_skipped (int): Unreadable files left out so far.
        skip_unreadable (bool): Replace a file that fails to decode when
            read by the next readable example (counted, one warning per
            file) instead of raising; on with ``skip_bad``. ``train.py``
            sets it on its training split so that one bad file never ends
            a run.
    """

    def __init__(self, files, labels, size, crop=None, flip=False, seed=0,
                 skip_bad=False, where='dataset'):
        labels = numpy.asarray(labels, dtype=numpy.float32)
        self.n_skipped = 0
        if skip_bad:
            keep = keep_readable(files, where)
            self.n_skipped = len(files) - len(keep)
            files, labels = [files[k] for k in keep], labels[keep]
        else:
            _refuse_empty(files, where)
        if not files:
            raise DatasetError('{} has no readable images; check the files '
                               'or the split'.format(where))
        self.files, self.labels = list(files), labels
        self.size, self.crop, self.flip = size, crop, flip
        self.skip_bad, self.where = skip_bad, where
        self.skip_unreadable = skip_bad
        self.rng = numpy.random.RandomState(seed)
        self._bad = set()

    def __len__(self):
        return len(self.files)

    def label_of(self, i):
        """float32 ``(L,)`` label of example ``i``, without reading it."""
        return self.labels[i].copy()

    def read(self, i):
        """uint8 ``(S, S, 3)`` cropped and resized picture of example ``i``.
        """
        path = self.files[i]
        img = read_image(path)
        if self.crop is None:
            img = transforms.center_crop_square(img)
        else:
            try:
                img = transforms.center_crop(img, self.crop)
            except ValueError as e:
                raise DatasetError(
                    '{} is too small to crop: {}. Remove or replace it, or '
                    'train with --skip-bad to leave such pictures out'.format(
                        path, e)) from e
        return transforms.resize(img, self.size)

    def get_example(self, i):
        """Returns ``(image, label)``; see the class table."""
        n = len(self)
        for k in range(n):
            j = (i + k) % n
            if j in self._bad:
                continue
            try:
                img = transforms.to_chw_float(self.read(j))
            except DatasetError as e:
                if not self.skip_unreadable:
                    raise
                self._bad.add(j)
                self.n_skipped += 1
                warnings.warn('skipped {}; using the next example'.format(e),
                              BadImageWarning, stacklevel=2)
                continue
            if self.flip:
                img = transforms.random_flip(img, self.rng)
            return img, self.label_of(j)
        raise DatasetError('no image of {} is readable'.format(self.where))
