"""Saving random streams with snapshots, for exact resume."""
import chainer


def serialize_random_state(serializer, rng):
    """Saves or restores a ``numpy.random.RandomState`` through a chainer
    serializer (``keys``, ``pos``, ``has_gauss``, ``cached_gaussian``).

    Args:
        serializer: A chainer serializer or deserializer.
        rng (numpy.random.RandomState): Saved, or overwritten in place.
    """
    name, keys, pos, has_gauss, gauss = rng.get_state()
    keys = serializer('keys', keys)
    pos = serializer('pos', pos)
    has_gauss = serializer('has_gauss', has_gauss)
    gauss = serializer('cached_gaussian', gauss)
    if isinstance(serializer, chainer.Deserializer):
        rng.set_state((name, keys, int(pos), int(has_gauss), float(gauss)))


def own_rows(draw, shard):
    """This process's rows of a draw made for the whole global batch.

    In data-parallel training every process draws the random numbers of
    all processes' examples from the same stream and keeps its own rows, so
    N processes use exactly the numbers one process would at N times the
    batch (and the stream saved by process 0 is every process's).

    Args:
        draw (numpy.ndarray): ``(N * n_processes, ...)`` numbers.
        shard (tuple of int): ``(rank, n_processes)``.

    Returns:
        numpy.ndarray: Rows ``[rank * N, (rank + 1) * N)``.
    """
    rank, n = shard
    size = len(draw) // n
    return draw[rank * size:(rank + 1) * size]
