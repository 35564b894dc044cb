"""The floor of the Frechet distance and the identity score on samples
with known answers."""
import numpy as np
import pytest

from stargan.metrics import quality


def _gaussian(n, mean, seed, dim=4):
    return np.random.RandomState(seed).randn(n, dim) + mean


def test_floor_of_one_distribution_is_small_of_two_large():
    real = _gaussian(300, 0., 0)
    same = quality.frechet_with_floor(real, _gaussian(300, 0., 1),
                                      _gaussian(300, 0., 2))
    # Two samples of N(0, I) in 4-d: the estimate's bias is about
    # 2 * dim / N ~ 0.03, far below the squared mean shift of 4 * 3**2.
    assert same['floor'] < 0.2 and same['distance'] < 0.2
    shifted = quality.frechet_with_floor(real, _gaussian(300, 3., 1),
                                         _gaussian(300, 0., 2))
    assert shifted['distance'] > 30
    assert shifted['ratio'] == pytest.approx(
        shifted['distance'] / shifted['floor'])
    assert shifted['ratio'] > 100 * same['ratio'] / max(same['ratio'], 1)


def test_identity_of_features_with_themselves_is_zero_and_grows():
    f = _gaussian(50, 0., 0, dim=8)
    assert quality.identity_score(f, f) == 0
    noise = np.random.RandomState(1).randn(*f.shape)
    scores = [quality.identity_score(f, f + s * noise)
              for s in (0.01, 0.1, 1.)]
    assert 0 < scores[0] < scores[1] < scores[2]
    # Each row moves by s * |noise row|: the mean is exactly that.
    assert scores[2] == pytest.approx(
        np.linalg.norm(noise, axis=1).mean(), rel=1e-12)


def test_identity_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match='one shape'):
        quality.identity_distances(np.zeros((3, 2)), np.zeros((2, 2)))


def test_reference_rows_are_a_seeded_subset_of_the_mask():
    mask = np.arange(40) % 3 == 0
    rows = quality.reference_rows(mask, 5, seed=3)
    assert len(rows) == 5 and mask[rows].all()
    assert list(rows) == sorted(rows)
    assert list(rows) == list(quality.reference_rows(mask, 5, seed=3))
    assert list(quality.reference_rows(mask, 100)) == list(
        np.flatnonzero(mask))


def test_frechet_terms_split_an_offset_from_a_narrower_spread():
    real = _gaussian(200, 0., 0, dim=6)
    shift = np.arange(6.)
    narrow = real.mean(0) + 0.5 * (real - real.mean(0)) + shift
    terms = quality.frechet_terms(real, narrow)
    # Halving every deviation quarters each variance; float64 rounding of
    # a 200-term sum is ~1e-13 relative.
    assert terms['spread_ratio'] == pytest.approx(0.25, rel=1e-9)
    assert terms['mean_term'] == pytest.approx(shift @ shift, rel=1e-9)
    # A pure offset: the whole distance is the mean term.
    moved = quality.frechet_terms(real, real + shift)
    assert moved['spread_ratio'] == pytest.approx(1., rel=1e-9)
    assert moved['mean_term'] == pytest.approx(
        quality.frechet_with_floor(real, real + shift, real)['distance'],
        rel=1e-6)
