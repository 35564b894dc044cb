"""Fidelity of a reconstruction to its original: PSNR and SSIM.

Both take uint8 pictures ``(N, H, W, 3)`` and return one value per picture,
so that callers can average over a test set. SSIM follows Wang et al.
(2004): an 11-tap Gaussian window of sigma 1.5, K1 = 0.01, K2 = 0.03,
computed per RGB channel over the window positions inside the picture and
averaged.
"""
import numpy


def psnr(a, b, peak=255.):
    """Peak signal-to-noise ratio in dB of each picture pair.

    Args:
        a, b (numpy.ndarray): uint8 ``(N, H, W, 3)``.
        peak (float): The largest pixel value.

    Returns:
        numpy.ndarray: float64 ``(N,)``; ``inf`` for identical pictures.
    """
    diff = numpy.asarray(a, numpy.float64) - numpy.asarray(b, numpy.float64)
    mse = (diff ** 2).reshape(len(diff), -1).mean(axis=1)
    with numpy.errstate(divide='ignore'):
        return 10 * numpy.log10(peak ** 2 / mse)


def _gaussian(size=11, sigma=1.5):
    d = numpy.arange(size) - (size - 1) / 2.
    g = numpy.exp(-d ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def _filter(x, g):
    """Separable 'valid' filtering of ``(N, H, W, C)`` over H and W."""
    view = numpy.lib.stride_tricks.sliding_window_view
    x = view(x, len(g), axis=1) @ g
    return view(x, len(g), axis=2) @ g


def ssim(a, b, peak=255.):
    """Structural similarity of each picture pair (see the module text).

    Args:
        a, b (numpy.ndarray): uint8 ``(N, H, W, 3)``, H and W at least 11.

    Returns:
        numpy.ndarray: float64 ``(N,)`` in [-1, 1]; 1 for identical
        pictures.
    """
    a = numpy.asarray(a, numpy.float64)
    b = numpy.asarray(b, numpy.float64)
    g = _gaussian()
    if min(a.shape[1:3]) < len(g):
        raise ValueError('SSIM needs pictures of at least {0} x {0} pixels, '
                         'got {1}'.format(len(g), a.shape[1:3]))
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    mu_a, mu_b = _filter(a, g), _filter(b, g)
    var_a = _filter(a * a, g) - mu_a ** 2
    var_b = _filter(b * b, g) - mu_b ** 2
    cov = _filter(a * b, g) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return s.reshape(len(s), -1).mean(axis=1)
