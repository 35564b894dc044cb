"""What an attention generator leaves behind: its export (rebuilt as an
attention generator) and sample grids with its masks."""
import numpy as np
from PIL import Image
import pytest

import chainer
from chainer import testing

import datasets
from datasets import image_grid as images
from extensions.samples import SampleGrid
from extensions.samples import translate_all
from faceapp import export
from faceapp import runs
from faceapp.snapshots import UnsafeFileError
from stargan import attention
from stargan import generators
from stargan.models import stargan as networks

NAMES = ['neutral', 'smile', 'sad', 'surprised', 'angry']


def _config(**changes):
    config = {'format_version': 1, 'model': 'stargan', 'preset': 'tiny',
              'image_size': 32, 'g_conv_dim': 4, 'g_res': 1,
              'label_names': list(NAMES),
              'attribute_groups': [['expression', list(NAMES)]],
              'generator': 'attention'}
    config.update(changes)
    return config


def _inputs():
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (2, 3, 32, 32)).astype(np.float32)
    return x, np.eye(5, dtype=np.float32)[[1, 3]]


def _outputs(gen):
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        y, a = gen.forward_with_mask(*_inputs())
    return y.array, a.array


@pytest.mark.parametrize('kind', ['attention', 'recolour'])
def test_export_round_trip_rebuilds_the_generator(tmp_path, kind):
    cls = generators.GENERATORS[kind]
    gen, path = cls(5, 4, 1), str(tmp_path / 'g.npz')
    if kind == 'recolour':  # colour maps that are not all zero
        gen.t_out.W.array[...] = np.random.RandomState(1).normal(
            0, .1, gen.t_out.W.shape)
    export.export_generator(path, gen, _config(generator=kind))
    loaded, config = export.load_exported(path)
    assert type(loaded) is cls and config['generator'] == kind
    for got, want in zip(_outputs(loaded), _outputs(gen)):
        np.testing.assert_array_equal(got, want)


def test_an_export_whose_kind_does_not_fit_its_weights_is_refused(tmp_path):
    path = str(tmp_path / 'g.npz')
    with pytest.raises(ValueError, match='plain generator.*unexpected '
                       'arrays a_out/W'):
        export.export_generator(path, attention.AttentionGenerator(5, 4, 1),
                                _config(generator='plain'))
    with pytest.raises(ValueError, match='attention generator.*missing '
                       'arrays a_out/W'):
        export.export_generator(path, networks.Generator(5, 4, 1), _config())
    with pytest.raises(ValueError, match='recolour generator.*missing '
                       'arrays t_out/W'):
        export.export_generator(path, attention.AttentionGenerator(5, 4, 1),
                                _config(generator='recolour'))
    with pytest.raises(UnsafeFileError, match='generator must be one of '
                       "attention, plain, recolour, got 'unet'"):
        export.export_generator(path, networks.Generator(5, 4, 1),
                                _config(generator='unet'))


def test_the_run_options_name_the_kind_for_export_and_rebuilding():
    opts = {'model': 'stargan', 'preset': 'tiny', 'dataset': None,
            'image_size': 32, 'g_conv_dim': 4, 'g_res': 1, 'd_conv_dim': 4,
            'd_down': 3, 'generator': 'attention'}
    train = datasets.SyntheticFaceDataset(5, 32, 'train', 0)
    assert export.config_from_options(opts, train)['generator'] == \
        'attention'
    gen, _ = runs.make_stargan(opts, 5)
    assert isinstance(gen, attention.AttentionGenerator)
    # args.json of runs that predate --generator: plain.
    del opts['generator']
    assert export.config_from_options(opts, train)['generator'] == 'plain'
    assert type(runs.make_stargan(opts, 5)[0]) is networks.Generator


def test_translate_all_returns_the_masks_of_each_column():
    gen = attention.AttentionGenerator(5, 4, 1)
    x, c = _inputs()
    idx, out, masks = translate_all(gen, x, c, [5],
                                    chainer.get_device('@numpy'),
                                    batch_size=1, with_masks=True)
    assert out.shape == (2, 5, 3, 32, 32) and masks.shape == (2, 5, 1, 32, 32)
    with chainer.no_backprop_mode():
        _, a = gen.forward_with_mask(x, np.eye(5, dtype=np.float32)[[2, 2]])
    np.testing.assert_array_equal(masks[:, idx.index(2)], a.array)
    plain = translate_all(networks.Generator(5, 4, 1), x, c, [5],
                          chainer.get_device('@numpy'), with_masks=True)
    assert plain[2] is None


def test_the_sample_grid_shows_each_rows_masks_in_grey(tmp_path):
    gen = attention.AttentionGenerator(5, 4, 1)
    gen.a_out.W.array[...] = 0
    gen.a_out.b.array[...] = np.log(3.)  # sigmoid: 0.75 everywhere
    x, c = _inputs()
    trainer = testing.get_trainer_with_mock_updater(
        stop_trigger=(5, 'iteration'))
    trainer.out = str(tmp_path)
    trainer.updater.iteration = 5
    SampleGrid(gen, x, c, NAMES, [5])(trainer)
    grid = np.asarray(Image.open(str(tmp_path / 'samples_latest.png')))
    # Rows: input 0, its masks, input 1, its masks; 6 columns of 64 px.
    assert grid.shape == (14 + 4 * 66 + 2, 6 * 66 + 2, 3)

    def cell(r, k):
        top, left = 14 + 2 + r * 66, 2 + k * 66
        return grid[top:top + 64, left:left + 64]
    np.testing.assert_array_equal(cell(2, 0), np.asarray(Image.fromarray(
        images.to_uint8(x)[1]).resize((64, 64), Image.NEAREST)))
    for r in (1, 3):
        assert (cell(r, 0) == 255).all()  # no mask under the input
        for k in range(1, 6):
            assert (cell(r, k) == 191).all()  # 0.75 * 255 rounded
    assert not (cell(0, 1) == 191).all()


def test_masks_to_uint8_maps_zero_to_black_and_one_to_white():
    m = np.array([0, 0.5, 1], np.float32).reshape(1, 1, 1, 3)
    np.testing.assert_array_equal(images.masks_to_uint8(m),
                                  [[[[0] * 3, [128] * 3, [255] * 3]]])
