"""The super-resolution sample grid: bicubic vs network vs original."""
import numpy as np
from PIL import Image

import chainer

import datasets
from datasets import image_grid
from datasets import sr_pairs
from datasets import transforms
from extensions import sr_samples
from stargan.models import sr


def test_grid_shows_input_bicubic_network_and_original(tmp_path):
    pairs = sr_pairs.SuperResolutionPairs(
        datasets.SyntheticFaceDataset(2, 32, 'test', seed=0), 2)
    low, high = (np.stack(a) for a in zip(pairs[0], pairs[1]))
    net = sr.SuperResolution(2, channels=4, n_blocks=1)
    ext = sr_samples.SuperResolutionGrid(net, low, high)
    trainer = type('T', (), {'out': str(tmp_path), 'updater': type(
        'U', (), {'iteration': 7})()})()
    ext(trainer)
    grid = np.asarray(Image.open(str(tmp_path / 'samples_iter_00000007.png')))
    latest = np.asarray(Image.open(str(tmp_path / 'samples_latest.png')))
    np.testing.assert_array_equal(grid, latest)
    step, header = 66, 16  # 64 px cells, 2 px gaps, 14 px of captions
    assert grid.shape == (14 + 2 * step + 2, 4 * step + 2, 3)

    def cell(row, col):
        return grid[header + row * step:header + row * step + 64,
                    2 + col * step:2 + col * step + 64]
    small = image_grid.to_uint8(low)
    with chainer.using_config('train', False):
        mine = image_grid.to_uint8(net(low).array)
    for r in range(2):
        big = [np.repeat(np.repeat(small[r], 2, 0), 2, 1),
               transforms.resize(small[r], 32), mine[r],
               image_grid.to_uint8(high)[r]]
        for c, expected in enumerate(big):
            shown = np.asarray(Image.fromarray(expected).resize(
                (64, 64), Image.NEAREST))
            np.testing.assert_array_equal(cell(r, c), shown)
