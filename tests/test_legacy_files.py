"""Files written by earlier code still load: a StarGAN and a CycleGAN
trainer snapshot (with their args.json), a generator export and a pack.

The files in tests/data/legacy were written by train.py and
``datasets.write_pack`` before the modules moved (issue 19); they guard the
file formats (npz keys are serializer paths and extension names, never
module names) against later restructuring.
"""
import json
import os

import numpy as np

import chainer

import datasets
from datasets import transforms
from faceapp import cyclegan_wiring
from faceapp import export
from faceapp import model_loading
from faceapp import run_files
from faceapp import runs
from faceapp import snapshots
from faceapp import wiring

LEGACY = os.path.join(os.path.dirname(__file__), 'data', 'legacy')


def _options(name, tmp_path):
    with open(os.path.join(LEGACY, name + '_args.json')) as f:
        opts = json.load(f)
    return dict(opts, out=str(tmp_path), cache_dir=str(tmp_path / 'cache'))


def _extension_names(path):
    with np.load(path, allow_pickle=False) as f:
        return {k.split('/')[1] for k in f.files
                if k.startswith(('extensions/', 'extension_triggers/'))}


def _load_trainer(name, tmp_path):
    opts = _options(name, tmp_path)
    train_data, test_data = runs.make_datasets(opts)
    trainer, _, _ = wiring.make_trainer(opts, train_data, test_data,
                                        chainer.get_device('@numpy'))
    path = os.path.join(LEGACY, name + '_snapshot_iter_2')
    snapshots.load_npz(path, trainer)  # strict: every key has a target
    return trainer, path, opts


def _assert_params_equal(link, path, prefix):
    with np.load(path, allow_pickle=False) as f:
        for name, p in link.namedparams():
            np.testing.assert_array_equal(p.array,
                                          f[prefix + name.lstrip('/')])


def test_stargan_snapshot_resumes_with_every_extension_state(tmp_path):
    trainer, path, _ = _load_trainer('stargan', tmp_path)
    assert trainer.updater.iteration == 2
    # A renamed extension would silently start from fresh state on resume.
    assert _extension_names(path) <= set(trainer._extensions)
    _assert_params_equal(trainer.updater.generator, path,
                         run_files.GEN_PREFIXES['gen'])


def test_cyclegan_snapshot_resumes_and_its_generators_load(tmp_path):
    trainer, path, opts = _load_trainer('cyclegan', tmp_path)
    assert trainer.updater.iteration == 2
    assert _extension_names(path) <= set(trainer._extensions)
    gen_ab, gen_ba = cyclegan_wiring.load_generators(path, opts)
    for gen, name in ((gen_ab, 'gen_ab'), (gen_ba, 'gen_ba')):
        _assert_params_equal(gen, path, run_files.GEN_PREFIXES[name])


def test_generator_export_loads(tmp_path):
    path = os.path.join(LEGACY, 'generator.npz')
    gen, config = export.load_exported(path)
    _assert_params_equal(gen, path, '')
    loaded, same_config = model_loading.load_model(path)
    assert same_config == config
    _assert_params_equal(loaded, path, '')


def test_pack_reads_back_as_written():
    images = (np.arange(4 * 8 * 8 * 3) % 256).astype(np.uint8).reshape(
        4, 8, 8, 3)
    pack = datasets.PackDataset(os.path.join(LEGACY, 'pack.npz'),
                                split='all')
    assert len(pack) == 4
    assert pack.label_names == ['a', 'b']
    for i in range(4):
        image, label = pack.get_example(i)
        np.testing.assert_array_equal(
            label, np.eye(2, dtype=np.float32)[[0, 1, 0, 1][i]])
        # float32 rounding (< 1e-6) is far below half a grey level.
        np.testing.assert_array_equal(transforms.from_chw_float(image),
                                      images[pack.indices[i]])
