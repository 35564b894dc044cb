"""Picture filters for data preparation: colourfulness and duplicates.

Pure functions and an in-memory index; no file I/O.
"""
import hashlib

import numpy
from PIL import Image

#: Mean chroma (of 255) below which a picture counts as monochrome. Chroma is
#: ``max(R, G, B) - min(R, G, B)`` per pixel: 0 for any grey, about 1-3 for
#: a grey picture after JPEG compression, 20-60 for colour photos of faces.
#: A tinted monochrome (sepia) picture keeps its tint's chroma and is not
#: caught unless the tint is faint.
GRAY_THRESHOLD = 6.
#: dHash bits that may differ between two near-duplicate pictures (of 64).
#: Rescaled or recompressed copies differ in 0-2 bits, a 2% crop in about 6;
#: the same sitter photographed again in the same pose can differ in only
#: about 5, which is why prepare.py compares near duplicates only within a
#: domain.
NEAR_DUPLICATE_BITS = 4


def chroma(img, max_side=256):
    """Mean per-pixel chroma of a picture.

    Args:
        img (numpy.ndarray): uint8 ``(H, W, 3)`` RGB.
        max_side (int): Pixels are subsampled to about this many per side
            (the mean barely changes and large photos stay fast).

    Returns:
        float: Mean of ``max(R, G, B) - min(R, G, B)``, in [0, 255].
    """
    step = max(1, max(img.shape[:2]) // max_side)
    px = img[::step, ::step].astype(numpy.int16)
    return float((px.max(axis=2) - px.min(axis=2)).mean())


def is_monochrome(img, threshold=GRAY_THRESHOLD):
    """True when :func:`chroma` of ``img`` is below ``threshold``."""
    return chroma(img) < threshold


def dhash(img):
    """64-bit difference hash: where brightness rises left to right.

    The picture is reduced to 9 x 8 grey cells by area averaging, so
    rescaling, recompression and small colour changes keep most bits.

    Args:
        img (numpy.ndarray): uint8 ``(H, W, 3)`` RGB.

    Returns:
        int: The hash, in [0, 2 ** 64).
    """
    grey = Image.fromarray(img).convert('L').resize((9, 8), Image.BOX)
    cells = numpy.asarray(grey, dtype=numpy.int16)
    bits = (cells[:, 1:] > cells[:, :-1]).ravel()
    return int(''.join('1' if b else '0' for b in bits), 2)


def hamming(a, b):
    """Number of differing bits of two hashes (ints)."""
    return bin(a ^ b).count('1')


class ExactDuplicates(object):
    """Finds pictures whose file bytes or decoded pixels were seen before.

    Keys are SHA-256 digests, so a re-encoded copy with identical pixels
    (PNG saved again, a different name) is caught as well.
    """

    def __init__(self):
        self._seen = {}

    @staticmethod
    def _digests(data, img):
        shape = ','.join(str(s) for s in img.shape).encode()
        return (b'b' + hashlib.sha256(data).digest(),
                b'p' + hashlib.sha256(shape + img.tobytes()).digest())

    def check_and_add(self, key, data, img):
        """Returns the key of an earlier identical picture, else adds this.

        Args:
            key: What to report for this picture later (e.g. its name).
            data (bytes): The file's bytes.
            img (numpy.ndarray): uint8 ``(H, W, 3)`` decoded pixels.

        Returns:
            The earlier picture's key, or None (and ``key`` is remembered).
        """
        digests = self._digests(data, img)
        for digest in digests:
            if digest in self._seen:
                return self._seen[digest]
        for digest in digests:
            self._seen[digest] = key
        return None


class NearDuplicates(object):
    """Finds pictures whose :func:`dhash` is within ``max_bits`` of one seen.

    The 64 bits are split into ``max_bits + 1`` chunks: two hashes that
    differ in at most ``max_bits`` bits agree on at least one chunk, so only
    pictures sharing a chunk are compared (fast for large sets).

    Args:
        max_bits (int): Largest Hamming distance of near duplicates, 0-15.
    """

    def __init__(self, max_bits=NEAR_DUPLICATE_BITS):
        if not 0 <= max_bits <= 15:
            raise ValueError('max_bits must be in 0..15, got {}'.format(
                max_bits))
        self.max_bits = max_bits
        self._hashes = []
        edges = numpy.linspace(0, 64, max_bits + 2).astype(int)
        self._chunks = [(int(lo), int(hi)) for lo, hi in zip(edges[:-1],
                                                              edges[1:])]
        self._buckets = [{} for _ in self._chunks]

    def _keys(self, h):
        return [(h >> lo) & ((1 << (hi - lo)) - 1) for lo, hi in self._chunks]

    def check_and_add(self, key, img):
        """Returns the key of an earlier near-identical picture, else adds.

        Args:
            key: What to report for this picture later.
            img (numpy.ndarray): uint8 ``(H, W, 3)`` decoded pixels.

        Returns:
            The earlier picture's key, or None (and ``key`` is remembered).
        """
        return self.check_and_add_hash(key, dhash(img))

    def check_and_add_hash(self, key, h):
        """:meth:`check_and_add` for a precomputed 64-bit hash ``h``."""
        keys = self._keys(h)
        for bucket, k in zip(self._buckets, keys):
            for j in bucket.get(k, ()):
                if hamming(h, self._hashes[j][0]) <= self.max_bits:
                    return self._hashes[j][1]
        j = len(self._hashes)
        self._hashes.append((h, key))
        for bucket, k in zip(self._buckets, keys):
            bucket.setdefault(k, []).append(j)
        return None
