"""Distances between two sets of feature vectors (pure numpy, float64).

Used on a domain classifier's penultimate features: no pretrained Inception
network is needed, so the numbers can be computed offline.
"""
import numpy


def _sqrtm_psd(a):
    """Square root of a symmetric positive semi-definite matrix."""
    w, v = numpy.linalg.eigh(a)
    return (v * numpy.sqrt(numpy.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Frechet distance between two Gaussians.

    ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)``; the inner
    matrix is symmetric, so only eigen-decompositions are needed (stable
    where ``sqrtm(S1 S2)`` can turn complex).

    Args:
        mu1 (numpy.ndarray): float ``(D,)`` mean of the first set.
        sigma1 (numpy.ndarray): float ``(D, D)`` covariance.
        mu2 (numpy.ndarray): float ``(D,)``.
        sigma2 (numpy.ndarray): float ``(D, D)``.

    Returns:
        float: The distance (>= 0 up to rounding).
    """
    mu1, mu2 = numpy.asarray(mu1, float), numpy.asarray(mu2, float)
    s1, s2 = numpy.asarray(sigma1, float), numpy.asarray(sigma2, float)
    root1 = _sqrtm_psd(s1)
    inner = root1 @ s2 @ root1
    cross = numpy.sqrt(numpy.clip(numpy.linalg.eigvalsh(
        (inner + inner.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + numpy.trace(s1) + numpy.trace(s2)
                 - 2 * cross)


def frechet_distance_of_features(f1, f2):
    """Frechet distance between Gaussians fitted to two feature sets.

    Args:
        f1 (numpy.ndarray): ``(N1, D)`` features.
        f2 (numpy.ndarray): ``(N2, D)`` features; N1, N2 >= 2.

    Returns:
        float: The distance.
    """
    f1, f2 = numpy.asarray(f1, float), numpy.asarray(f2, float)
    return frechet_distance(f1.mean(0), numpy.cov(f1, rowvar=False),
                            f2.mean(0), numpy.cov(f2, rowvar=False))


def _polynomial_kernel(a, b):
    return (a @ b.T / a.shape[1] + 1) ** 3


def _mmd2_unbiased(x, y):
    m, n = len(x), len(y)
    kxx, kyy, kxy = (_polynomial_kernel(x, x), _polynomial_kernel(y, y),
                     _polynomial_kernel(x, y))
    return ((kxx.sum() - numpy.trace(kxx)) / (m * (m - 1))
            + (kyy.sum() - numpy.trace(kyy)) / (n * (n - 1))
            - 2 * kxy.mean())


def kernel_distance(f1, f2, n_subsets=10, subset_size=1000, seed=0):
    """Kernel Inception Distance style MMD^2 with a cubic polynomial kernel.

    The unbiased estimator of squared MMD with ``k(x, y) = (x.y / D + 1)^3``
    (Binkowski et al. 2018), averaged over random subsets.

    Args:
        f1 (numpy.ndarray): ``(N1, D)`` features, N1 >= 2.
        f2 (numpy.ndarray): ``(N2, D)`` features, N2 >= 2.
        n_subsets (int): Random subsets averaged.
        subset_size (int): Size of each (capped by the smaller set).
        seed (int): Subset sampling seed.

    Returns:
        tuple of float: ``(mean, std)`` over subsets; the mean is unbiased,
        so it can be slightly negative for identical distributions.
    """
    f1, f2 = numpy.asarray(f1, float), numpy.asarray(f2, float)
    size = min(subset_size, len(f1), len(f2))
    rng = numpy.random.RandomState(seed)
    values = [_mmd2_unbiased(f1[rng.choice(len(f1), size, replace=False)],
                             f2[rng.choice(len(f2), size, replace=False)])
              for _ in range(n_subsets)]
    return float(numpy.mean(values)), float(numpy.std(values))


def psnr(x, y, data_range=2., max_db=100.):
    """Peak signal-to-noise ratio per image.

    Args:
        x (numpy.ndarray): ``(N, C, H, W)`` images.
        y (numpy.ndarray): ``(N, C, H, W)`` references.
        data_range (float): Max minus min of the pixel range (2 for [-1, 1]).
        max_db (float): Cap for identical images (keeps means finite).

    Returns:
        numpy.ndarray: float64 ``(N,)`` in dB.
    """
    mse = ((numpy.asarray(x, float) - numpy.asarray(y, float)) ** 2).reshape(
        len(x), -1).mean(1)
    with numpy.errstate(divide='ignore'):
        return numpy.minimum(10 * numpy.log10(data_range ** 2 / mse), max_db)
