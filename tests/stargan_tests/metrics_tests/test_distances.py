import numpy as np
import pytest

from stargan.metrics import distances


def test_frechet_distance_of_identical_sets_is_zero():
    f = np.random.RandomState(0).randn(200, 6)
    assert distances.frechet_distance_of_features(f, f) == pytest.approx(
        0, abs=1e-8)


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0., 1., 2.]), np.array([1., 1., 0.])
    s1, s2 = np.array([1., 4., 9.]), np.array([4., 1., 1.])
    # tr(S1 + S2 - 2 sqrt(S1 S2)) = sum (sqrt(s1) - sqrt(s2))^2 here.
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(s1) - np.sqrt(s2)) ** 2
                                           ).sum()
    got = distances.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_handles_rotated_covariances():
    rng = np.random.RandomState(1)
    q, _ = np.linalg.qr(rng.randn(4, 4))
    s1 = q @ np.diag([1., 2., 3., 4.]) @ q.T
    # Same eigenbasis: the matrices commute, so the closed form still holds.
    s2 = q @ np.diag([4., 3., 2., 1.]) @ q.T
    expected = sum((np.sqrt(a) - np.sqrt(b)) ** 2
                   for a, b in zip([1, 2, 3, 4], [4, 3, 2, 1]))
    assert distances.frechet_distance(np.zeros(4), s1, np.zeros(4), s2) == \
        pytest.approx(expected, rel=1e-9)


def test_sampled_gaussians_approach_the_analytic_distance():
    rng = np.random.RandomState(2)
    a = rng.randn(20000, 3) * [1, 2, 3] + [0, 0, 0]
    b = rng.randn(20000, 3) * [2, 2, 1] + [3, 0, 0]
    analytic = 9 + (1 - 2) ** 2 + 0 + (3 - 1) ** 2
    assert distances.frechet_distance_of_features(a, b) == pytest.approx(
        analytic, rel=0.03)


def test_kernel_distance_is_unbiased_near_zero_for_one_distribution():
    rng = np.random.RandomState(3)
    a, b = rng.randn(400, 8), rng.randn(400, 8)
    mean, std = distances.kernel_distance(a, b, n_subsets=5,
                                          subset_size=200)
    assert abs(mean) < 3 * std + 1e-3
    far, _ = distances.kernel_distance(a, b + 2, n_subsets=5,
                                       subset_size=200)
    assert far > 10 * max(abs(mean), std)


def test_psnr_known_values_and_cap():
    x = np.zeros((2, 1, 2, 2))
    y = np.stack([np.zeros((1, 2, 2)), np.full((1, 2, 2), 0.2)])
    np.testing.assert_allclose(distances.psnr(x, y),
                               [100, 10 * np.log10(4 / 0.04)])
