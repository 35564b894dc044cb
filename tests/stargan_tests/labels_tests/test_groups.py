import numpy as np
import pytest

from stargan.labels import groups as labels


def test_group_slices_and_validation():
    assert labels.group_slices([3, 1, 2]) == [slice(0, 3), slice(3, 4),
                                              slice(4, 6)]
    with pytest.raises(ValueError):
        labels.group_slices([3, 0])


def test_multi_label_only_for_more_than_one_exclusive_group():
    assert not labels.is_multi_label([5])
    assert labels.is_multi_label([5, 5])
    assert labels.is_multi_label([3, 1, 1])
    assert labels.is_multi_label([1])


def test_random_labels_are_valid_and_cover_every_value():
    rng = np.random.RandomState(0)
    c = labels.random_labels(rng, 500, [3, 1, 2])
    assert c.dtype == np.float32 and c.shape == (500, 6)
    np.testing.assert_array_equal(c[:, :3].sum(1), 1)
    np.testing.assert_array_equal(c[:, 4:].sum(1), 1)
    assert set(np.unique(c[:, 3])) == {0., 1.}
    assert (c[:, :3].sum(0) > 100).all()


def test_edit_targets_change_one_group_at_a_time():
    c = np.array([[1, 0, 0, 1, 0, 1]], np.float32)  # groups [3, 1, 2]
    cols = labels.edit_targets(c, [3, 1, 2])
    assert [j for j, _ in cols] == list(range(6))
    np.testing.assert_array_equal(cols[1][1], [[0, 1, 0, 1, 0, 1]])
    np.testing.assert_array_equal(cols[3][1], [[1, 0, 0, 0, 0, 1]])  # flip
    np.testing.assert_array_equal(cols[4][1], [[1, 0, 0, 1, 1, 0]])
    np.testing.assert_array_equal(c, [[1, 0, 0, 1, 0, 1]])  # untouched


def test_accuracy_per_group():
    logits = np.array([[2, 1, 0, 3], [0, 1, 2, -3]], np.float32)
    truth = np.array([[1, 0, 0, 1], [0, 0, 1, 1]], np.float32)
    # groups [3, 1]: exclusive part right twice, binary part right once
    assert labels.accuracy(logits, truth, [3, 1]) == pytest.approx(0.75)


def test_chance_accuracy_is_what_random_logits_score():
    sizes = [5, 1, 3]
    rng = np.random.RandomState(0)
    c = np.concatenate([np.eye(5)[rng.randint(5, size=20000)],
                        rng.randint(2, size=(20000, 1)),
                        np.eye(3)[rng.randint(3, size=20000)]], axis=1)
    guess = labels.accuracy(rng.randn(20000, 9), c, sizes)
    chance = labels.chance_accuracy(sizes)
    assert chance == pytest.approx((1 / 5. + 1 / 2. + 1 / 3.) / 3)
    # 60000 independent hits: the standard error is below 0.002.
    assert abs(guess - chance) < 0.01


def test_hit_rate_stays_on_the_device(device_array_type):
    # What the training step reports: no wait for the device, with or
    # without a mask; the value is the accuracy's.
    logits = device_array_type.of(
        np.array([[2, 1, 0, 3], [0, 1, 2, -3]], np.float32))
    truth = device_array_type.of(
        np.array([[1, 0, 0, 1], [0, 0, 1, 1]], np.float32))
    rate = labels.hit_rate(logits, truth, [3, 1])
    masked = labels.hit_rate(logits, truth, [3, 1], device_array_type.of(
        np.array([[1, 1, 1, 0], [0, 0, 0, 1]], np.float32)))
    none_known = labels.hit_rate(logits, truth, [3, 1],
                                 device_array_type.of(np.zeros(4, 'f')))
    assert device_array_type.syncs == 0
    assert isinstance(rate, device_array_type) and rate.ndim == 0
    assert float(rate) == pytest.approx(0.75)
    assert float(masked) == pytest.approx(0.5)  # group 1 of 0, 2 of 1
    assert float(none_known) == 0
