"""Label vectors: layout, random targets and single-attribute edits.

A label vector concatenates *groups*. A group of size > 1 is exclusive (one
hot: an expression, a hair colour); a group of size 1 is a binary attribute
(e.g. CelebA's ``Male``). A single-label dataset has one exclusive group.
"""
import numpy

import chainer


def group_slices(group_sizes):
    """Returns the slice of each group in the label vector.

    Args:
        group_sizes (sequence of int): Length of each group.

    Returns:
        list of slice: One slice per group, in order.
    """
    slices, start = [], 0
    for size in group_sizes:
        if size < 1:
            raise ValueError('label group sizes must be >= 1, got {}'.format(
                list(group_sizes)))
        slices.append(slice(start, start + size))
        start += size
    return slices


def is_multi_label(group_sizes):
    """True unless the labels form a single exclusive group (softmax case)."""
    return not (len(group_sizes) == 1 and group_sizes[0] > 1)


def random_labels(rng, n, group_sizes):
    """Draws ``n`` random valid label vectors.

    Args:
        rng (numpy.random.RandomState): Source of randomness.
        n (int): How many.
        group_sizes (sequence of int): Label layout.

    Returns:
        numpy.ndarray: float32 ``(n, sum(group_sizes))``; one-hot within each
        exclusive group, 0/1 for each binary attribute.
    """
    out = numpy.zeros((n, sum(group_sizes)), dtype=numpy.float32)
    for sl, size in zip(group_slices(group_sizes), group_sizes):
        if size == 1:
            out[:, sl.start] = rng.randint(0, 2, size=n)
        else:
            out[numpy.arange(n), sl.start + rng.randint(0, size, size=n)] = 1
    return out


def edit_targets(labels, group_sizes):
    """Every single-attribute edit of each label: the columns of a sample grid.

    For each exclusive group and each of its values, the labels with that
    group set to that value; for each binary attribute, the labels with it
    flipped. Other groups keep their original values.

    Args:
        labels (numpy.ndarray): float32 ``(N, L)`` original labels.
        group_sizes (sequence of int): Label layout, ``sum == L``.

    Returns:
        list of (int, numpy.ndarray): ``(label_index, targets (N, L))`` per
        column, ``label_index`` naming the label position that was set.
    """
    columns = []
    for sl, size in zip(group_slices(group_sizes), group_sizes):
        for j in range(sl.start, sl.stop):
            target = numpy.array(labels, dtype=numpy.float32, copy=True)
            if size == 1:
                target[:, j] = 1 - target[:, j]
            else:
                target[:, sl] = 0
                target[:, j] = 1
            columns.append((j, target))
    return columns


def accuracy(logits, labels, group_sizes):
    """Share of label groups a classifier gets right, as a Python float
    (:func:`hit_rate` copied to the host).

    Args:
        logits (array or ~chainer.Variable): float32 ``(N, L)``.
        labels (array): float32 ``(N, L)`` 0/1 labels.
        group_sizes (sequence of int): Label layout.

    Returns:
        float: Accuracy in [0, 1] over all samples and groups.
    """
    return float(hit_rate(logits, labels, group_sizes))


def hit_rate(logits, labels, group_sizes, mask=None):
    """Share of (known) label groups a classifier gets right, computed on
    the logits' device and left there: a training step reports it without
    waiting for the device (the log averages it later).

    An exclusive group counts as right when its arg-max matches; a binary
    attribute when the logit's sign matches. With ``mask``, a group counts
    for a sample only where the mask covers all of it.

    Args:
        logits (array or ~chainer.Variable): float32 ``(N, L)``.
        labels (array): float32 ``(N, L)`` 0/1 labels.
        group_sizes (sequence of int): Label layout.
        mask (array): float32 ``(L,)`` or ``(N, L)``, 1 where labels are
            known; None: all are.

    Returns:
        array: 0-d float on the logits' device, in [0, 1] (0 if the mask
        covers no group).
    """
    logits, labels = chainer.as_array(logits), chainer.as_array(labels)
    xp = chainer.backend.get_array_module(logits)
    hits, known = [], []
    if mask is not None:
        mask = xp.broadcast_to(xp.asanyarray(mask), labels.shape) > 0
    for sl, size in zip(group_slices(group_sizes), group_sizes):
        if size == 1:
            hits.append((logits[:, sl.start] > 0)
                        == (labels[:, sl.start] > 0.5))
        else:
            hits.append(logits[:, sl].argmax(1) == labels[:, sl].argmax(1))
        if mask is not None:
            known.append(mask[:, sl].all(axis=1))
    hits = xp.stack(hits, axis=1)
    if mask is None:
        return xp.asanyarray(hits.mean())  # numpy's mean: a host scalar
    known = xp.stack(known, axis=1)
    total = known.sum()
    return xp.where(total > 0, (hits & known).sum() / xp.maximum(total, 1),
                    0.)


def chance_accuracy(group_sizes):
    """What :func:`accuracy` expects from guessing: 1/2 for a binary
    attribute, 1/size for an exclusive group, averaged over the groups.

    Args:
        group_sizes (sequence of int): Label layout.

    Returns:
        float: In (0, 1).
    """
    return sum(0.5 if size == 1 else 1. / size
               for size in group_sizes) / len(group_sizes)
