"""The CycleGAN export: one npz with both generators, read without pickle."""
import json
import os

import numpy as np
import pytest

import chainer

from faceapp import cyclegan_export
from faceapp import export
from faceapp import model_loading
from faceapp.snapshots import UnsafeFileError
from stargan.models import cyclegan

OPTS = dict(domains=['photo', 'anime'], preset='tiny', image_size=32,
            g_conv_dim=4, g_res=1, kernel_size=3, dataset=None)


def _pair(seed):
    np.random.seed(seed)  # chainer's initializers draw from numpy's stream
    return [cyclegan.ResnetGenerator(4, 1, 3) for _ in range(2)]


def _outputs(pair, x, c):
    with chainer.using_config('train', False):
        return pair(x, c).array


def test_round_trip_is_bitwise_and_picks_the_generator_of_the_target(
        tmp_path):
    gen_ab, gen_ba = _pair(0)
    config = cyclegan_export.config_from_options(OPTS)
    path = str(tmp_path / 'generator.npz')
    cyclegan_export.export_pair(path, gen_ab, gen_ba, config)
    assert os.listdir(str(tmp_path)) == ['generator.npz']  # atomic
    pair, loaded = model_loading.load_model(path)
    assert loaded == config and loaded['kind'] == 'cyclegan'
    assert [d[:3] for d in loaded['directions']] == [
        ['photo->anime', 'photo', 'anime'], ['anime->photo', 'anime', 'photo']]
    for name, gen in (('gen_ab', gen_ab), ('gen_ba', gen_ba)):
        for (key, p), (_, q) in zip(sorted(gen.namedparams()), sorted(
                getattr(pair, name).namedparams())):
            np.testing.assert_array_equal(q.array, p.array, err_msg=key)
    x = np.random.RandomState(1).uniform(-1, 1, (3, 3, 32, 32)).astype('f')
    c = np.eye(2, dtype=np.float32)[[1, 0, 1]]  # anime, photo, anime
    out = _outputs(pair, x, c)
    with chainer.using_config('train', False):
        np.testing.assert_array_equal(out[[0, 2]], gen_ab(x[[0, 2]]).array)
        np.testing.assert_array_equal(out[[1]], gen_ba(x[[1]]).array)


def test_a_stargan_reader_refuses_it_by_its_model(tmp_path):
    path = str(tmp_path / 'g.npz')
    cyclegan_export.export_pair(path, *_pair(0),
                                cyclegan_export.config_from_options(OPTS))
    with pytest.raises(UnsafeFileError, match="model 'cyclegan' is not"):
        export.load_exported(path)


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    config = dict(cyclegan_export.config_from_options(OPTS), g_conv_dim=8)
    with pytest.raises(UnsafeFileError, match='g.npz.*do not match'):
        cyclegan_export.export_pair(str(tmp_path / 'g.npz'), *_pair(0),
                                    config)
    assert not os.listdir(str(tmp_path))


@pytest.mark.parametrize('change, why', [
    (dict(domains=['photo']), 'two different names'),
    (dict(directions=[]), 'do not follow'),
    (dict(g_res=True), 'g_res must be a positive integer'),
    (dict(format_version=2), 'format version 2')])
def test_bad_configs_are_named(tmp_path, change, why):
    gen_ab, gen_ba = _pair(0)
    good = cyclegan_export.config_from_options(OPTS)
    path = str(tmp_path / 'g.npz')
    cyclegan_export.export_pair(path, gen_ab, gen_ba, good)
    arrays, _ = export.read_export(path)
    arrays[export.CONFIG_KEY] = np.array(json.dumps(dict(good, **change)))
    np.savez(path, **arrays)
    with pytest.raises(UnsafeFileError, match='g.npz: bad CycleGAN.*' + why):
        model_loading.load_model(path)


def test_face_margin_comes_from_domain_folders_prepared_one_by_one(
        tmp_path):
    # prepare.py raw/photo/ faces/photo/ --margin 0.4, and so on per domain.
    for domain in ('anime', 'photo'):
        (tmp_path / domain).mkdir()
        (tmp_path / domain / 'prepare_report.json').write_text(json.dumps(
            {'options': {'margin': 0.4}}))
    config = cyclegan_export.config_from_options(
        dict(OPTS, dataset=str(tmp_path)))
    assert config['face_margin'] == 0.4
