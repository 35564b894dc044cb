"""The data every metric reads: inputs, translations, classifier outputs."""
import dataclasses
from typing import Callable, List, Optional

import numpy

import chainer

from stargan.conv import cpu_threads
from stargan.forward import forward_in_batches
from stargan.labels import groups as label_utils


@dataclasses.dataclass
class EvalData:
    """Test images with their translations to every other domain.

    Attributes:
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` test images in [-1, 1].
        c_org (numpy.ndarray): float32 ``(N, L)`` their labels.
        group_sizes (list of int): Label layout.
        label_names (list of str): Name of each label position.
        targets (list of int): Label index set by each translation column.
        c_trg (numpy.ndarray): float32 ``(K, N, L)`` target labels.
        fake (numpy.ndarray): float32 ``(K, N, 3, S, S)`` translations.
        rec (numpy.ndarray): float32 ``(K, N, 3, S, S)`` translations
            translated back to ``c_org``.
        changed (numpy.ndarray): bool ``(K, N)``: the target differs from
            the source label (only those count as translations).
        classify (callable): images ``(M, 3, S, S)`` -> float32 logits
            ``(M, L)``.
        features (callable): images -> float32 ``(M, F)`` classifier
            features.
        ground_truth (callable or None): ``(index array (M,), labels (M, L))
            -> images (M, 3, S, S)``: the true rendering of each test
            identity in a domain (synthetic data only).
        inception (callable or None): images -> ``(M, F)`` features of a
            pretrained network the user supplied (Inception-style FID).
        reference (tuple or None): ``(x float32 (M, 3, S, S), c float32
            (M, L))``: real training images and labels, for the
            real-vs-real floor of the Frechet distance (see
            :mod:`stargan.metrics.quality`); None: no floor.
    """
    x: numpy.ndarray
    c_org: numpy.ndarray
    group_sizes: List[int]
    label_names: List[str]
    targets: List[int]
    c_trg: numpy.ndarray
    fake: numpy.ndarray
    rec: numpy.ndarray
    changed: numpy.ndarray
    classify: Callable
    features: Callable
    ground_truth: Optional[Callable] = None
    inception: Optional[Callable] = None
    reference: Optional[tuple] = None


def _run(generator, x, c, device, batch_size):
    return forward_in_batches(generator, (x, c), device, batch_size,
                              context=cpu_threads.splitting())


def translate_everything(generator, x, c_org, group_sizes, device='@numpy',
                         batch_size=32):
    """Translates each image to every single-attribute edit, and back.

    Args:
        generator (callable): ``G(x, c)``.
        x (numpy.ndarray): float32 ``(N, 3, S, S)``.
        c_org (numpy.ndarray): float32 ``(N, L)``.
        group_sizes (sequence of int): Label layout.
        device: Where the generator lives.
        batch_size (int): Images per forward pass.

    Returns:
        tuple: ``(targets, c_trg (K, N, L), fake (K, N, 3, S, S),
        rec (K, N, 3, S, S), changed (K, N))`` as in :class:`EvalData`.
    """
    device = chainer.get_device(device)
    columns = label_utils.edit_targets(c_org, group_sizes)
    c_trg = numpy.stack([c for _, c in columns])
    fake = numpy.stack([_run(generator, x, c, device, batch_size)
                        for c in c_trg])
    rec = numpy.stack([_run(generator, f, c_org, device, batch_size)
                       for f in fake])
    changed = (c_trg != c_org[None]).any(axis=2)
    return [j for j, _ in columns], c_trg, fake, rec, changed
