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
