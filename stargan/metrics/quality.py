"""Readable quality numbers (pure numpy, float64): the real-vs-real floor of
a Frechet distance and an identity score.

A Frechet distance estimated from N samples is biased upwards by N's
smallness, so its raw value means little alone. Its *floor* is the same
estimate for two real samples of one distribution (real training images vs
the real test images of a domain, as many training images as there are
translations): a perfect generator would score about that, so
``distance / floor`` reads as "how many times the noise level". The
*spread ratio* (:func:`frechet_terms`) says whether translations are too
alike: their total feature variance over the real images'. The
*identity score* is how far a translation moved in a classifier's features
from its own source image: 0 for no change, low for a change of colour
only. In a domain classifier's features a real change of domain moves it
too (they mostly encode the domain), so it is read beside the target
accuracy.
"""
import numpy

from stargan.metrics import distances


def reference_rows(mask, count, seed=0):
    """Up to ``count`` row indices where ``mask`` holds, drawn without
    replacement by a seeded stream (in increasing order).

    Args:
        mask (numpy.ndarray): bool ``(M,)``: the rows that may be drawn
            (e.g. the training images of one domain).
        count (int): How many to draw; all of them when fewer qualify.
        seed (int): Seed of the draw (the same seed gives the same rows).

    Returns:
        numpy.ndarray: int64 ``(min(count, mask.sum()),)``.
    """
    rows = numpy.flatnonzero(numpy.asarray(mask, bool))
    if len(rows) > count:
        rng = numpy.random.RandomState(seed)
        rows = numpy.sort(rng.choice(rows, count, replace=False))
    return rows.astype(numpy.int64)


def frechet_with_floor(f_real, f_fake, f_reference):
    """A Frechet distance with its real-vs-real floor and their ratio.

    Args:
        f_real (numpy.ndarray): ``(N, D)`` features of real images of a
            domain (the test images), N >= 2.
        f_fake (numpy.ndarray): ``(K, D)`` features of translations into
            it, K >= 2.
        f_reference (numpy.ndarray): ``(K', D)`` features of other real
            images of that domain (training images, K' = K where the data
            allow), K' >= 2.

    Returns:
        dict: ``distance`` (``f_real`` vs ``f_fake``), ``floor``
        (``f_real`` vs ``f_reference``), both floats, and ``ratio``
        (``distance / floor``; None for a floor of 0).
    """
    distance = distances.frechet_distance_of_features(f_real, f_fake)
    floor = distances.frechet_distance_of_features(f_real, f_reference)
    return {'distance': distance, 'floor': floor,
            'ratio': distance / floor if floor > 0 else None}


def frechet_terms(f_real, f_fake):
    """What a Frechet distance is made of, to say why it is large.

    Args:
        f_real (numpy.ndarray): ``(N, D)`` features of real images, N >= 2.
        f_fake (numpy.ndarray): ``(K, D)`` features of translations, K >= 2.

    Returns:
        dict: ``mean_term``, the squared distance between the two means (the
        translations sit elsewhere), and ``spread_ratio``, the total
        variance of the translations over that of the real images (below 1
        they are more alike than real images are; the rest of the distance
        is mostly that). Floats.
    """
    a, b = numpy.asarray(f_real, float), numpy.asarray(f_fake, float)
    diff = a.mean(0) - b.mean(0)
    spread = numpy.var(b, axis=0, ddof=1).sum() / numpy.var(
        a, axis=0, ddof=1).sum()
    return {'mean_term': float(diff @ diff), 'spread_ratio': float(spread)}


def identity_distances(f_source, f_translated):
    """Euclidean distance between each source and its translation.

    Args:
        f_source (numpy.ndarray): ``(N, D)`` features of the source images.
        f_translated (numpy.ndarray): ``(N, D)`` features of their
            translations, row by row.

    Returns:
        numpy.ndarray: float64 ``(N,)``, 0 where a translation's features
        equal its source's.

    Raises:
        ValueError: When the shapes differ.
    """
    a = numpy.asarray(f_source, float)
    b = numpy.asarray(f_translated, float)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError('identity_distances needs two (N, D) arrays of one '
                         'shape, got {} and {}'.format(a.shape, b.shape))
    return numpy.sqrt(((a - b) ** 2).sum(axis=1))


def identity_score(f_source, f_translated):
    """Mean of :func:`identity_distances` (a float; lower keeps more of the
    source)."""
    return float(identity_distances(f_source, f_translated).mean())
