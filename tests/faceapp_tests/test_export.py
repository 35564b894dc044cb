import json
import os

import numpy as np
import pytest

import chainer

import datasets
from faceapp import export
from faceapp import model_loading
from faceapp import run_files
from faceapp.snapshots import UnsafeFileError
from stargan.models import stargan as networks

NAMES = ['neutral', 'smile', 'sad', 'surprised', 'angry']


def tiny_config(**changes):
    config = {'format_version': 1, 'model': 'stargan', 'preset': 'tiny',
              'image_size': 32, 'g_conv_dim': 4, 'g_res': 1,
              'label_names': list(NAMES),
              'attribute_groups': [['expression', list(NAMES)]]}
    config.update(changes)
    return config


def tiny_generator():
    return networks.Generator(5, conv_dim=4, n_res=1)


def _arrays(gen, config):
    ser = chainer.serializers.DictionarySerializer()
    ser.save(gen)
    arrays = dict(ser.target)
    arrays[export.CONFIG_KEY] = np.array(json.dumps(config))
    return arrays


def _outputs(gen):
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (2, 3, 32, 32)).astype(np.float32)
    c = np.eye(5, dtype=np.float32)[[1, 3]]
    with chainer.using_config('train', False):
        return gen(x, c).array


def test_round_trip_gives_identical_outputs(tmp_path):
    gen, path = tiny_generator(), str(tmp_path / 'g.npz')
    export.export_generator(path, gen, tiny_config())
    assert os.listdir(str(tmp_path)) == ['g.npz']  # atomic: no leftovers
    loaded, config = export.load_exported(path)
    assert config == tiny_config()
    np.testing.assert_array_equal(_outputs(loaded), _outputs(gen))
    # The file is plain chainer npz: chainer's own loader reads it too.
    other = tiny_generator()
    chainer.serializers.load_npz(path, other)
    np.testing.assert_array_equal(other.c_in.W.array, gen.c_in.W.array)


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    class Boom(object):
        def __reduce__(self):
            return (pytest.fail, ('unpickled!',))

    arrays = _arrays(tiny_generator(), tiny_config())
    arrays['c_in/W'] = np.array([Boom()], dtype=object)
    path = str(tmp_path / 'evil.npz')
    np.savez(path, **arrays)
    with pytest.raises(UnsafeFileError, match='evil.npz.*object arrays'):
        export.load_exported(path)


def test_missing_arrays_and_config_are_refused(tmp_path):
    arrays = _arrays(tiny_generator(), tiny_config())
    del arrays['res/0/c1/W']
    path = str(tmp_path / 'holes.npz')
    np.savez(path, **arrays)
    with pytest.raises(UnsafeFileError, match='holes.npz.*missing arrays '
                       'res/0/c1/W'):
        export.load_exported(path)
    plain = str(tmp_path / 'plain.npz')
    chainer.serializers.save_npz(plain, tiny_generator())
    with pytest.raises(UnsafeFileError, match='plain.npz has no '
                       'export_config'):
        export.load_exported(plain)


@pytest.mark.parametrize('changes, match', [
    (dict(label_names=NAMES[:4], attribute_groups=[['e', NAMES[:4]]]),
     'wrong shapes c_in/W'),
    (dict(g_res=2), 'missing arrays res/1'),
    (dict(g_conv_dim=8), 'wrong shapes'),
    (dict(label_names=NAMES[::-1]), 'do not list label_names'),
    (dict(format_version=2), 'format version 2'),
    (dict(image_size=True), 'image_size must be a positive integer'),
])
def test_configs_that_do_not_match_the_weights_are_refused(
        tmp_path, changes, match):
    path = str(tmp_path / 'wrong.npz')
    np.savez(path, **_arrays(tiny_generator(), tiny_config(**changes)))
    with pytest.raises(UnsafeFileError, match='wrong.npz.*' + match):
        export.load_exported(path)


def test_export_refuses_a_config_that_does_not_fit(tmp_path):
    path = str(tmp_path / 'g.npz')
    with pytest.raises(ValueError, match='g_res 2'):
        export.export_generator(path, tiny_generator(),
                                tiny_config(g_res=2))
    assert not os.path.exists(path)


def _fake_run(tmp_path):
    """A run dir as train.py leaves it: args.json and a trainer snapshot
    (only the generator part, which is all an export reads)."""
    opts = {'model': 'stargan', 'preset': 'tiny', 'dataset': None,
            'image_size': 32, 'seed': 0, 'attributes': ['expression'],
            'n_train': 10, 'n_test': 5, 'g_conv_dim': 4, 'g_res': 1,
            'd_conv_dim': 4, 'd_down': 3}
    run = tmp_path / 'run'
    run.mkdir()
    (run / 'args.json').write_text(json.dumps(opts))
    gen = tiny_generator()
    arrays = {run_files.GEN_PREFIXES['gen'] + k: v for k, v in
              _arrays(gen, {}).items() if k != export.CONFIG_KEY}
    np.savez(str(run / 'snapshot_iter_5'), **arrays)
    os.rename(str(run / 'snapshot_iter_5.npz'), str(run / 'snapshot_iter_5'))
    return str(run), gen, opts


def test_export_from_run_and_load_model_accept_dirs_and_snapshots(tmp_path):
    run, gen, opts = _fake_run(tmp_path)
    with open(os.path.join(run, 'snapshot_iter_9'), 'wb') as f:
        f.write(b'PK torn')  # a snapshot cut off while written: skipped
    out = os.path.join(run, export.EXPORT_NAME)
    config = model_loading.export_from_run(run, out)
    # The fake run's options have no --ema-beta nor --generator (a run from
    # before them).
    assert config == tiny_config(face_margin=export.DEFAULT_FACE_MARGIN,
                                 weights='last', ema_beta=0.,
                                 generator='plain')
    for path in (out, run, os.path.join(run, 'snapshot_iter_5')):
        loaded, cfg = model_loading.load_model(path)
        assert cfg['label_names'] == NAMES
        np.testing.assert_array_equal(_outputs(loaded), _outputs(gen))
    with pytest.raises(UnsafeFileError, match='no generator.npz'):
        model_loading.load_model(str(tmp_path))


def test_config_from_options_reads_the_prepare_margin(tmp_path):
    train = datasets.SyntheticFaceDataset(4, 32, attributes=('expression',
                                                             'hair'))
    opts = {'model': 'stargan', 'preset': 'small', 'image_size': 32,
            'g_conv_dim': 16, 'g_res': 2, 'dataset': str(tmp_path)}
    (tmp_path / 'prepare_report.json').write_text(json.dumps(
        {'options': {'margin': 0.4}}))
    config = export.config_from_options(opts, train)
    export.check_config(config, 'x')
    assert config['face_margin'] == 0.4
    assert config['attribute_groups'][1] == ['hair', list(
        datasets.HAIR_COLORS)]
    assert json.loads(json.dumps(config)) == config
