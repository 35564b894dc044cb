import numpy as np
import pytest

import chainer

from stargan.image_pool import ImagePool


def _batch(start, n=4):
    """Images whose every pixel holds their serial number."""
    ids = np.arange(start, start + n, dtype=np.float32)
    return np.broadcast_to(ids[:, None, None, None], (n, 1, 2, 2)).copy()


def _ids(images):
    return images[:, 0, 0, 0].astype(int).tolist()


def test_fills_first_returning_the_new_images():
    pool = ImagePool(8, seed=0)
    for start in (0, 4):
        assert _ids(pool.query(_batch(start))) == list(range(start,
                                                             start + 4))
    assert pool.n_stored == 8 and _ids(pool.images) == list(range(8))


def test_once_full_about_half_are_stored_ones_and_are_swapped():
    pool = ImagePool(50, seed=0)
    for start in range(0, 52, 4):  # fills 50, then 2 more come back as-is
        pool.query(_batch(start))
    old, seen = 0, set(_ids(pool.images))
    n = 2000
    for start in range(1000, 1000 + n, 4):
        batch = _batch(start)
        out = pool.query(batch)
        for new, got in zip(_ids(batch), _ids(out)):
            if new != got:
                old += 1
                assert got in seen  # a stored fake came back...
                seen.discard(got)
                seen.add(new)  # ...and the new one took its place
    assert sorted(seen) == sorted(_ids(pool.images))
    # Binomial(2000, 1/2): 4.5 standard deviations is 100.
    assert abs(old - n / 2) < 100


def test_query_drops_the_graph_and_keeps_dtype():
    pool = ImagePool(2, seed=0)
    out = pool.query(chainer.Variable(_batch(0)))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32


def test_size_zero_is_a_pass_through():
    pool = ImagePool(0)
    x = _batch(0)
    np.testing.assert_array_equal(pool.query(x), x)
    with pytest.raises(ValueError):
        ImagePool(-1)


@pytest.mark.parametrize('n_before', [0, 3, 30])
def test_serialize_round_trip_continues_identically(tmp_path, n_before):
    pool = ImagePool(5, seed=3)
    for start in range(0, n_before, 3):
        pool.query(_batch(start, 3))
    path = str(tmp_path / 'pool.npz')
    chainer.serializers.save_npz(path, pool)
    restored = ImagePool(5, seed=99)
    chainer.serializers.load_npz(path, restored)
    assert restored.n_stored == pool.n_stored
    for start in range(100, 130, 3):
        np.testing.assert_array_equal(restored.query(_batch(start, 3)),
                                      pool.query(_batch(start, 3)))


def _loop_reference(pool_size, seed, batches):
    """The pool's rule image by image, as first written (one array copy
    per image): what the vectorised query must reproduce."""
    rng, stored, n_stored, outs = np.random.RandomState(seed), None, 0, []
    for images in batches:
        if stored is None:
            stored = np.zeros((pool_size,) + images.shape[1:], images.dtype)
        out = images.copy()
        for i in range(len(images)):
            if n_stored < pool_size:
                stored[n_stored] = images[i]
                n_stored += 1
            elif rng.uniform() < 0.5:
                j = rng.randint(pool_size)
                out[i] = stored[j]
                stored[j] = images[i]
        outs.append(out)
    return outs, stored


def test_whole_batches_at_once_equal_the_image_by_image_rule(
        device_array_type):
    batches = [_batch(start, n) for start, n in
               [(0, 3), (3, 5), (8, 4), (12, 7), (19, 1), (20, 6)]]
    want, want_pool = _loop_reference(10, 4, batches)
    writes = []

    class Device(device_array_type):
        def __setitem__(self, index, value):
            writes.append(index)
            super().__setitem__(index, value)

    pool = ImagePool(10, seed=4)
    got = [pool.query(Device.of(batch)) for batch in batches]
    # No copy per image and nothing read back from the device.
    assert writes == [] and device_array_type.syncs == 0
    assert [_ids(g) for g in got] == [_ids(w) for w in want]
    assert _ids(pool.images) == _ids(want_pool)
