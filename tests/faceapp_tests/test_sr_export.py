"""The super-resolution model file: round trip, refusals, the Upscaler."""
import json

import numpy as np
import pytest

import chainer

from faceapp import export
from faceapp import sr_export
from faceapp.snapshots import UnsafeFileError
from stargan.models import sr
from stargan.models import stargan as networks

CONFIG = {'format_version': 1, 'model': 'sr', 'scale': 4, 'channels': 4,
          'n_blocks': 1, 'image_size': 8, 'dataset': 'synthetic', 'seed': 0,
          'test_fraction': 0.1, 'n_test': 5}


@pytest.fixture
def written(tmp_path):
    net = sr.SuperResolution(4, 4, 1)
    path = str(tmp_path / 'up.npz')
    sr_export.export_net(path, net, CONFIG)
    return path, net


def test_round_trip_gives_the_same_network_and_config(written):
    path, net = written
    loaded, config = sr_export.load(path)
    assert config == CONFIG and loaded.scale == 4
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 8, 8)).astype(
        np.float32)
    with chainer.using_config('train', False):
        np.testing.assert_array_equal(loaded(x).array, net(x).array)
    with np.load(path, allow_pickle=False) as f:  # self-describing
        assert json.loads(str(f[export.CONFIG_KEY][()]))['scale'] == 4


def test_config_from_options_names_the_held_out_faces():
    opts = dict(CONFIG, dataset=None, out='x', lr=1e-3)
    config = sr_export.config_from_options(opts)
    assert config == dict(CONFIG)


def _rewrite(path, tmp_path, **change):
    arrays, config = export.read_export(path)
    config.update(change)
    bad = str(tmp_path / 'bad.npz')
    export.write_export(bad, arrays, config)
    return bad


@pytest.mark.parametrize('change, message', [
    ({'scale': 3}, 'scale 3'),
    ({'format_version': 9}, 'format_version 9'),
    ({'channels': 8}, 'do not fit its config'),
    ({'model': 'stargan'}, 'a stargan generator, not a super-resolution'),
])
def test_a_bad_file_is_refused_naming_it(written, tmp_path, change,
                                         message):
    bad = _rewrite(written[0], tmp_path, **change)
    with pytest.raises(UnsafeFileError, match=message) as e:
        sr_export.load(bad)
    assert 'bad.npz' in str(e.value)


def test_other_files_are_refused_naming_them(tmp_path):
    junk = tmp_path / 'junk.npz'
    junk.write_bytes(b'junk')
    plain = str(tmp_path / 'plain.npz')
    np.savez(plain, a=np.zeros(2))
    gen = str(tmp_path / 'generator.npz')
    export.export_generator(gen, networks.Generator(5, 4, 1), {
        'format_version': 1, 'model': 'stargan', 'image_size': 32,
        'g_conv_dim': 4, 'g_res': 1, 'label_names': list('abcde'),
        'attribute_groups': [['e', list('abcde')]]})
    for path, message in [(str(junk), 'junk.npz'),
                          (plain, 'not a model file of this project'),
                          (gen, 'stargan generator, not a super'),
                          (str(tmp_path / 'none'), 'does not exist')]:
        with pytest.raises(UnsafeFileError, match=message):
            sr_export.load(path)


def test_upscaler_enlarges_only_faces_placed_larger_than_they_are(written):
    _, net = written
    up = sr_export.Upscaler(net, chainer.get_device('@numpy'))
    patches = np.random.RandomState(1).randint(0, 256, (3, 8, 8, 3)).astype(
        np.uint8)
    out = up(patches, [8, 9, 40])
    np.testing.assert_array_equal(out[0], patches[0])
    assert out[1].shape == out[2].shape == (32, 32, 3)
    assert out[1].dtype == np.uint8
    assert up(patches[:0], []) == []
