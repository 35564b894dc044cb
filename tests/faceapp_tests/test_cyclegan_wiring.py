"""CycleGAN trainer wiring, on tiny synthetic faces."""
import json
import os

import numpy as np
import pytest

import chainer

import datasets
from faceapp import cyclegan_wiring
from faceapp import options
from faceapp import run_files
from faceapp import training
from faceapp import wiring
from stargan.models import classifier

TINY = dict(model='cyclegan', domains=['smile', 'sad'], preset='tiny',
            n_train=40, n_test=10, n_samples=2, log_interval=2)


def test_resolve_fills_preset_and_paper_defaults():
    opts = options.resolve(dict(TINY, iterations=8))
    assert opts['g_conv_dim'] == 8 and opts['d_layers'] == 2
    assert opts['image_size'] == 32 and opts['batch_size'] == 4
    assert opts['decay_start'] == 4 and opts['snapshot_interval'] == 2
    assert opts['g_lr'] == opts['d_lr'] == 2e-4
    assert (opts['gan_loss'], opts['pool_size'], opts['lambda_cycle'],
            opts['lambda_identity']) == ('lsgan', 50, 10., 0.5)
    assert options.resolve({'model': 'cyclegan', 'domains': ['a', 'b']})[
        'preset'] == 'small'
    assert opts['eval_interval'] == 0  # eval/* needs a G(x, c)


@pytest.mark.skipif(chainer.backends.cuda.available, reason='has CUDA')
def test_gpu_without_cuda_is_the_device_check_message(tmp_path):
    with pytest.raises(options.OptionError, match='--gpu 0: CuPy'):
        training.run(dict(TINY, iterations=1, gpu=0, out=str(tmp_path)))
    assert not tmp_path.joinpath('args.json').exists()


@pytest.mark.parametrize('change, message', [
    (dict(domains=['smile']), 'two domains'),
    (dict(gan_loss='wgan-gp', label_noise=0.1), 'WGAN-GP'),
    (dict(kernel_size=4), 'odd'),
    (dict(preset='huge'), 'paper256'),
    (dict(label_noise=1.), 'label noise'),
    (dict(image_size=30), 'multiple of 4'),
])
def test_bad_options_are_named(change, message):
    with pytest.raises(options.OptionError, match=message):
        options.resolve(dict(TINY, **change))


def test_trainer_decays_lrs_and_draws_grids(tmp_path):
    opts = options.resolve(dict(TINY, iterations=2, out=str(tmp_path),
                                embedding_dis=True))
    train = datasets.SyntheticFaceDataset(40, 32, 'train', 0)
    test = datasets.SyntheticFaceDataset(10, 32, 'test', 0)
    trainer, _, _ = wiring.make_trainer(opts, train, test,
                                        chainer.get_device('@numpy'))
    trainer.run()
    for name in ('gen_ab', 'gen_ba', 'dis_a', 'dis_b', 'dis_emb'):
        assert trainer.updater.get_optimizer(name).alpha == 0
    files = set(os.listdir(str(tmp_path)))
    assert {'samples_iter_00000000.png', 'samples_latest.png', 'log',
            'snapshot_iter_2', 'loss_adv.png', 'loss_emb.png'} <= files
    grid = trainer.get_extension('CycleGANSampleGrid').render()
    assert grid.width > 8 * 64  # eight labelled columns


def test_resume_is_bitwise_exact(tmp_path):
    def run(out, resume=None):
        assert training.run(dict(
            TINY, iterations=4, snapshot_interval=2, out=str(out),
            label_noise=0.1, resume=resume)) == 0
    run(tmp_path / 'straight')
    run(tmp_path / 'resumed', str(tmp_path / 'straight' / 'snapshot_iter_2'))
    a = np.load(str(tmp_path / 'straight' / 'snapshot_iter_4'))
    b = np.load(str(tmp_path / 'resumed' / 'snapshot_iter_4'))
    keys = [k for k in a.files if k.startswith('updater/model:')]
    assert keys and all(np.array_equal(a[k], b[k]) for k in keys)


def test_whole_run_resumes_and_its_generators_load(tmp_path):
    out = str(tmp_path / 'run')
    features = str(tmp_path / 'features.npz')
    chainer.serializers.save_npz(features, classifier.DomainClassifier(
        5, width=2))
    assert training.run(dict(
        TINY, iterations=2, snapshot_interval=2, out=out, gan_loss='vanilla',
        perceptual_net=features)) == 0
    opts = run_files.read_options(out)
    assert opts['domains'] == ['smile', 'sad'] and opts['perceptual_net']
    log = json.load(open(os.path.join(out, 'log')))
    assert 'gen_ab/loss_perceptual' in log[-1]
    assert training.run(dict(opts, iterations=3, resume=os.path.join(
        out, 'snapshot_iter_2'))) == 0
    log = json.load(open(os.path.join(out, 'log')))
    assert [e['iteration'] for e in log] == [2, 3]
    gen_ab, gen_ba = cyclegan_wiring.load_generators(
        os.path.join(out, 'snapshot_iter_3'), opts)
    x = datasets.SyntheticFaceDataset(2, 32, 'test', 0)[0][0][None]
    with chainer.no_backprop_mode():
        assert gen_ab(x).shape == gen_ba(x).shape == (1, 3, 32, 32)
    assert not np.array_equal(gen_ab.c_out.W.array, gen_ba.c_out.W.array)
