"""PSNR and SSIM against their definitions and scikit-image."""
import numpy as np
import pytest

from stargan.metrics import fidelity


def _pair(seed, shape=(2, 24, 20, 3), noise=20):
    r = np.random.RandomState(seed)
    a = r.randint(0, 256, shape).astype(np.uint8)
    b = np.clip(a.astype(int) + r.randint(-noise, noise + 1, shape), 0,
                255).astype(np.uint8)
    return a, b


def test_psnr_follows_its_definition_per_picture():
    a = np.zeros((2, 4, 4, 3), np.uint8)
    b = a.copy()
    b[0] = 10  # MSE 100 -> 10 log10(255^2 / 100)
    p = fidelity.psnr(a, b)
    assert p[0] == pytest.approx(10 * np.log10(255 ** 2 / 100.), abs=1e-9)
    assert p[1] == np.inf


def test_ssim_is_one_for_identical_pictures_and_drops_with_noise():
    a, b = _pair(0)
    np.testing.assert_allclose(fidelity.ssim(a, a), 1, atol=1e-12)
    _, c = _pair(0, noise=60)
    assert np.all(fidelity.ssim(a, c) < fidelity.ssim(a, b))
    with pytest.raises(ValueError):
        fidelity.ssim(a[:, :8], b[:, :8])


def test_agrees_with_scikit_image():
    metrics = pytest.importorskip('skimage.metrics')
    a, b = _pair(1)
    for k in range(len(a)):
        assert fidelity.psnr(a, b)[k] == pytest.approx(
            metrics.peak_signal_noise_ratio(a[k], b[k]), abs=1e-9)
        # Same window and constants: only float64 summation order differs.
        assert fidelity.ssim(a, b)[k] == pytest.approx(
            metrics.structural_similarity(
                a[k], b[k], channel_axis=2, gaussian_weights=True,
                sigma=1.5, use_sample_covariance=False, data_range=255),
            abs=1e-9)
