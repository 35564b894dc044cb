"""Raw pictures -> a face training set: the library behind ``prepare.py``.

Each picture goes through: decode -> size check -> monochrome check
(optional) -> exact and near duplicate checks (optional) -> face detection ->
square crop with margin -> resize. The filters run before the duplicate
checks, so a picture is only ever a duplicate of one that passed them (a
grey copy that is dropped hides no colour original). Everything is written
into a hidden temporary folder beside OUT that is renamed to OUT only when
complete, so an interrupted run leaves no OUT at all.
"""
import collections
import os
import shutil
import tempfile

import numpy
from PIL import Image

from datasets import atomic
from datasets import folder
from datasets.image_files import DatasetError
from datasets.image_files import IMAGE_EXTENSIONS
from datasets.image_files import read_image
from datasets import pack
from datasets.preparation import faces
from datasets.preparation import filters

REPORT_NAME = 'prepare_report.json'
PACK_NAME = 'pack.npz'
#: Why a picture can be dropped, in the order the checks run.
REASONS = ('unreadable', 'too_small', 'monochrome', 'duplicate',
           'near_duplicate', 'no_face')


class Dropped(Exception):
    """A picture left out; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason, detail):
        super(Dropped, self).__init__(detail)
        self.reason, self.detail = reason, detail


def list_sources(src, domains_from_folders):
    """Finds the pictures to prepare.

    Args:
        src (str): Source folder.
        domains_from_folders (bool): ``SRC/<domain>/*`` (two or more
            domains) instead of pictures anywhere under ``SRC``.

    Returns:
        list of (str, str): ``(domain, path)`` pairs, sorted; the domain is
        ``''`` without domains.

    Raises:
        DatasetError: ``src`` is missing, holds no pictures, or (with
            domains) too few domain folders or an empty one.
    """
    if not os.path.isdir(src):
        raise DatasetError('source folder {} does not exist'.format(src))
    if domains_from_folders:
        return [(d, f) for d, files in folder.list_domains(src)
                for f in files]
    found = []
    for parent, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        found += [('', f) for f in folder.image_files_in(parent)]
    if not found:
        raise DatasetError('{} holds no pictures ({}); add some'.format(
            src, ' '.join(IMAGE_EXTENSIONS)))
    return found


class FacePicker(object):
    """Turns one picture into a face crop or says why it was dropped.

    Args:
        cascade (cv2.CascadeClassifier): Face detector.
        size (int): Output side.
        margin (float): Context around the face, per side, as a fraction of
            the face (see :func:`~datasets.preparation.faces.face_square`).
        min_face (int): Smallest face side accepted, in source pixels;
            pictures smaller than this are dropped as too small.
        gray_threshold (float or None): Drop pictures whose
            :func:`~datasets.preparation.filters.chroma` is below this; None
            keeps all.
        near_dup_bits (int or None): Drop exact duplicates, and near
            duplicates within this dHash distance in the same domain
            (negative: exact only); None keeps duplicates.
    """

    def __init__(self, cascade, size=128, margin=0.25, min_face=32,
                 gray_threshold=None, near_dup_bits=None):
        self.cascade, self.size, self.margin = cascade, size, margin
        self.min_face, self.gray_threshold = min_face, gray_threshold
        self.near_dup_bits = near_dup_bits
        self._exact = filters.ExactDuplicates()
        self._near = {}

    def pick(self, path, name, domain):
        """Returns ``(crop uint8 (size, size, 3), face (x, y, w, h))``.

        Args:
            path (str): The picture.
            name (str): Its name in the report (relative to the source).
            domain (str): Its domain.

        Raises:
            Dropped: The picture is left out, with the reason.
        """
        try:
            img = read_image(path)
        except DatasetError as e:
            raise Dropped('unreadable', str(e))
        if min(img.shape[:2]) < self.min_face:
            raise Dropped('too_small', '{} is {} x {} pixels, smaller than '
                          'the smallest face ({} px, --min-face)'.format(
                              name, img.shape[1], img.shape[0],
                              self.min_face))
        if self.gray_threshold is not None:
            score = filters.chroma(img)
            if score < self.gray_threshold:
                raise Dropped('monochrome', '{} has mean chroma {:.1f} < {} '
                              '(--drop-gray)'.format(name, score,
                                                     self.gray_threshold))
        # After the filters: only pictures that passed them are indexed.
        if self.near_dup_bits is not None:
            self._check_duplicates(path, name, domain, img)
        found = faces.detect_faces(img, self.cascade, min_size=self.min_face)
        if not len(found):
            raise Dropped('no_face', 'no face of {} px or more found in {}'
                          .format(self.min_face, name))
        face = found[0]
        return faces.crop_face(img, face, self.margin, self.size), face

    def _check_duplicates(self, path, name, domain, img):
        with open(path, 'rb') as f:
            data = f.read()
        first = self._exact.check_and_add(name, data, img)
        if first is not None:
            raise Dropped('duplicate', '{} is identical to {}'.format(
                name, first))
        if self.near_dup_bits < 0:
            return
        if domain not in self._near:
            self._near[domain] = filters.NearDuplicates(self.near_dup_bits)
        first = self._near[domain].check_and_add(name, img)
        if first is not None:
            raise Dropped('near_duplicate', '{} looks like {} (dHash within '
                          '{} bits)'.format(name, first, self.near_dup_bits))


def _output_name(name, domain, taken):
    """Unique ``<domain>/<flattened name>.png`` for a source name."""
    rel = name if not domain else name[len(domain) + 1:]
    stem = os.path.splitext(rel)[0].replace(os.sep, '_').replace('/', '_')
    out, k = stem, 1
    while (domain, out) in taken:
        k += 1
        out = '{}_{}'.format(stem, k)
    taken.add((domain, out))
    return os.path.join(domain, out + '.png') if domain else out + '.png'


def _staging_dir(out):
    out = os.path.abspath(out)
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise DatasetError('{} already exists and is not empty; remove it or '
                           'choose another OUT'.format(out))
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix='.{}.'.format(
        os.path.basename(out)), suffix='.partial')
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(staging, 0o777 & ~mask)  # mkdtemp makes it private
    return staging


def prepare(src, out, picker, domains_from_folders=False, fmt='folder',
            progress=None, options=None):
    """Runs the whole preparation and returns its report.

    Args:
        src (str): Source folder.
        out (str): Output folder; must not exist or be empty.
        picker (FacePicker): Per-picture processing.
        domains_from_folders (bool): See :func:`list_sources`.
        fmt (str): ``'folder'`` (``OUT/<domain>/*.png``, or ``OUT/*.png``
            without domains) or ``'npz'`` (``OUT/pack.npz``, needs domains).
        progress (callable or None): Called as ``progress(done, total)``.
        options (dict or None): Recorded in the report.

    Returns:
        dict: The report also written to ``OUT/prepare_report.json``.

    Raises:
        DatasetError: Bad source, OUT not empty, or npz without domains.
    """
    if fmt not in ('folder', 'npz'):
        raise ValueError("fmt must be 'folder' or 'npz', got {!r}".format(fmt))
    if fmt == 'npz' and not domains_from_folders:
        raise DatasetError('an npz pack needs labels: use '
                           '--domains-from-folders with SRC/<domain>/ folders')
    sources = list_sources(src, domains_from_folders)
    staging = _staging_dir(out)
    try:
        records, crops = _run(src, sources, picker, staging, fmt, progress)
        if fmt == 'npz' and crops:
            _write_pack(os.path.join(staging, PACK_NAME), crops, sources)
        report = _report(src, out, fmt, options, records, sources)
        atomic.write_json_atomic(report, os.path.join(staging,
                                                      REPORT_NAME))
        if os.path.isdir(out):
            os.rmdir(out)  # empty, checked above
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _run(src, sources, picker, staging, fmt, progress):
    records, crops, taken = [], [], set()
    for k, (domain, path) in enumerate(sources):
        name = os.path.relpath(path, src)
        record = {'file': name, 'domain': domain}
        try:
            crop, face = picker.pick(path, name, domain)
        except Dropped as e:
            record.update(kept=False, reason=e.reason, detail=e.detail)
        else:
            record.update(kept=True, face=[int(v) for v in face])
            if fmt == 'folder':
                record['output'] = _output_name(name, domain, taken)
                target = os.path.join(staging, record['output'])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                Image.fromarray(crop).save(target)
            else:
                record['pack_index'] = len(crops)
                crops.append((domain, crop))
        records.append(record)
        if progress is not None:
            progress(k + 1, len(sources))
    return records, crops


def _write_pack(path, crops, sources):
    names = sorted({d for d, _ in sources})
    labels = numpy.zeros((len(crops), len(names)), dtype=numpy.float32)
    for k, (domain, _) in enumerate(crops):
        labels[k, names.index(domain)] = 1
    pack.write_pack(path, numpy.stack([c for _, c in crops]), labels, names,
                    [('domain', tuple(names))])


def _report(src, out, fmt, options, records, sources):
    dropped = collections.Counter(r['reason'] for r in records
                                  if not r['kept'])
    kept = collections.Counter(r['domain'] for r in records if r['kept'])
    return {
        'source': os.path.abspath(src), 'output': os.path.abspath(out),
        'format': fmt, 'options': options or {},
        'counts': {'pictures': len(records), 'kept': sum(kept.values()),
                   'dropped': {r: dropped[r] for r in REASONS if dropped[r]}},
        'kept_per_domain': {d: kept[d] for d in sorted({d for d, _ in
                                                        sources})},
        'files': records}


def summary(report):
    """A few lines for people: what was kept, what was dropped and why.

    Args:
        report (dict): From :func:`prepare`.

    Returns:
        str: The summary (no trailing newline).
    """
    counts = report['counts']
    per_domain = ', '.join('{} {}'.format(d, n) for d, n in
                           report['kept_per_domain'].items() if d)
    lines = ['Kept {} of {} pictures{} in {} as {}.'.format(
        counts['kept'], counts['pictures'],
        ' ({})'.format(per_domain) if per_domain else '', report['output'],
        report['format'])]
    if counts['dropped']:
        example = {}
        for r in report['files']:
            if not r['kept']:
                example.setdefault(r['reason'], r['file'])
        lines.append('Dropped: ' + ', '.join(
            '{} {} (e.g. {})'.format(reason, n, example[reason])
            for reason, n in counts['dropped'].items()) + '.')
    lines.append('Per-file reasons: {}'.format(
        os.path.join(report['output'], REPORT_NAME)))
    return '\n'.join(lines)
