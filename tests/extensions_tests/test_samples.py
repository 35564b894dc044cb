import os

import numpy as np
from PIL import Image
import pytest

import chainer
from chainer import testing

from datasets import image_grid as images
from extensions.samples import SampleGrid
from extensions.samples import translate_all
from stargan import attention
from stargan.labels import groups as label_utils


class ShiftGenerator(chainer.Link):
    """G(x, c) = x shifted by the index of the hot label, for checking."""

    def forward(self, x, c):
        k = chainer.as_array(c).argmax(1).astype(np.float32)
        return chainer.Variable(x * 0 + k[:, None, None, None] / 10)


def test_translate_all_covers_every_target_for_every_input():
    x = np.zeros((3, 3, 8, 8), np.float32)
    c = np.eye(4, dtype=np.float32)[[0, 1, 2]]
    idx, out = translate_all(ShiftGenerator(), x, c, [4],
                             chainer.get_device('@numpy'), batch_size=2)
    assert idx == [0, 1, 2, 3]
    assert out.shape == (3, 4, 3, 8, 8)
    for k in range(4):
        np.testing.assert_allclose(out[:, k], k / 10)


@pytest.mark.parametrize('batch_size', [1, 3, 5])
def test_translate_all_equals_its_loop_before_forward_in_batches(batch_size):
    rng = np.random.RandomState(1)
    x = rng.uniform(-1, 1, (5, 3, 16, 16)).astype(np.float32)
    c = np.eye(3, dtype=np.float32)[[0, 1, 2, 2, 0]]
    gen = attention.AttentionGenerator(3, conv_dim=8, n_res=1)
    device, cpu = chainer.get_device('@numpy'), chainer.backend.CpuDevice()
    columns = label_utils.edit_targets(c, [3])
    outs = np.empty((5, len(columns), 3, 16, 16), np.float32)
    masks = np.empty((5, len(columns), 1, 16, 16), np.float32)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for k, (_, c_trg) in enumerate(columns):
            for s in range(0, 5, batch_size):
                y, a = attention.with_mask(
                    gen, device.send(x[s:s + batch_size]),
                    device.send(c_trg[s:s + batch_size]))
                outs[s:s + batch_size, k] = cpu.send(y.array)
                masks[s:s + batch_size, k] = cpu.send(a.array)
    _, got, got_masks = translate_all(gen, x, c, [3], device, batch_size,
                                      with_masks=True)
    assert got.tobytes() == outs.tobytes()
    assert got_masks.tobytes() == masks.tobytes()


def test_sample_grid_writes_labelled_png(tmp_path):
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 8, 8)).astype('f')
    c = np.eye(3, dtype=np.float32)[[0, 2]]
    ext = SampleGrid(ShiftGenerator(), x, c, ['a', 'b', 'c'], [3])
    trainer = testing.get_trainer_with_mock_updater(
        stop_trigger=(5, 'iteration'))
    trainer.out = str(tmp_path)
    trainer.updater.iteration = 5
    ext(trainer)
    path = tmp_path / 'samples_iter_00000005.png'
    assert path.exists() and (tmp_path / 'samples_latest.png').exists()
    grid = np.asarray(Image.open(path))
    # 4 columns (input + 3 targets) of 64 px cells with 2 px gaps, 2 rows.
    assert grid.shape == (14 + 2 * 66 + 2, 4 * 66 + 2, 3)
    # The first input cell shows the input itself.
    cell = grid[14 + 2:14 + 2 + 64, 2:2 + 64]
    expected = np.asarray(Image.fromarray(images.to_uint8(x)[0]).resize(
        (64, 64), Image.NEAREST))
    np.testing.assert_array_equal(cell, expected)
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.tmp')]


def test_to_uint8_maps_the_model_range():
    x = np.array([-1, 0, 1], np.float32).reshape(1, 3, 1, 1)
    np.testing.assert_array_equal(images.to_uint8(x).ravel(), [0, 128, 255])
