"""train_sr.py: a short run beats bicubic on held-out faces, resumes
bitwise, refuses bad options clearly; the benchmark's table."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
from PIL import Image
import pytest

import chainer

import datasets
from benchmarks import super_resolution as bench
from datasets.preparation import faces
from datasets import transforms
from faceapp import sr_export
from faceapp import translation
from stargan.metrics import fidelity
import train_sr

#: Options of a small run that the bad options below spoil.
ARGS = ['--image-size', '16', '--n-train', '20', '--n-test', '4',
        '--iterations', '2']


def test_short_run_beats_bicubic_on_held_out_synthetic_faces(sr_run):
    for name in ('args.json', 'snapshot_iter_80', 'samples_latest.png',
                 'samples_iter_00000000.png', 'log', 'upscaler.npz'):
        assert os.path.exists(os.path.join(sr_run, name)), name
    with open(os.path.join(sr_run, 'args.json')) as f:
        assert json.load(f)['scale'] == 2
    net, config = sr_export.load(sr_run)
    low, high = bench.held_out(config)
    assert low.shape == (20, 3, 16, 16) and high.shape == (20, 3, 32, 32)
    cpu = chainer.get_device('@numpy')
    trained = bench.measure(net, config, low, high, cpu)
    assert trained['sr'][0] > trained['bicubic'][0]
    assert trained['sr'][1] > trained['bicubic'][1]
    # The bar is real: the network before training (its bilinear base)
    # stays below bicubic.
    fresh = bench.measure(sr_export.build(config), config, low, high, cpu)
    assert fresh['sr'][0] < fresh['bicubic'][0]


def _arrays(path):
    """The model, optimizer and data-order arrays of a snapshot (all
    arrays of a model file); times in the log differ by nature."""
    with np.load(path) as f:
        return {k: f[k] for k in f.files
                if not k.startswith(('extensions/', '_snapshot_elapsed'))}


def test_resume_ends_bitwise_equal_and_other_options_are_refused(
        tmp_path, capsys):
    out = str(tmp_path / 'run')
    args = ['--image-size', '8', '--scale', '4', '--n-train', '12',
            '--n-test', '4', '--batch-size', '4', '--channels', '4',
            '--iterations', '8', '--snapshot-interval', '4',
            '--log-interval', '4', '--n-samples', '2', '--out', out]
    assert train_sr.main(args) == 0
    whole = _arrays(os.path.join(out, 'snapshot_iter_8'))
    model = _arrays(os.path.join(out, 'upscaler.npz'))
    for name in ('snapshot_iter_8', 'upscaler.npz'):
        os.remove(os.path.join(out, name))
    assert train_sr.main(args + ['--resume', 'auto']) == 0
    assert 'continuing from {}'.format(
        os.path.join(out, 'snapshot_iter_4')) in capsys.readouterr().out
    again = _arrays(os.path.join(out, 'snapshot_iter_8'))
    assert set(again) == set(whole) and any(
        k.startswith('updater/optimizer:main/') for k in whole)
    for k in whole:
        assert np.array_equal(again[k], whole[k]), k
    for k, v in _arrays(os.path.join(out, 'upscaler.npz')).items():
        assert np.array_equal(v, model[k]), k
    assert train_sr.main(args + ['--resume', 'auto']) == 0
    assert 'already complete' in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        train_sr.main(args[:-1] + [out, '--lr', '0.01'])
    assert e.value.code == 2
    assert 'lr: 0.001 -> 0.01' in capsys.readouterr().err


@pytest.mark.parametrize('argv, message', [
    (['--scale', '3'], 'invalid choice: 3'),
    (['--image-size', '0'], '--image-size must be positive'),
    (['--image-size', '200'], 'product is in \\[32, 256\\]'),
    (['--dataset', 'nowhere'], 'dataset nowhere does not exist'),
    (['--batch-size', '50'], '--batch-size 50 is larger'),
    (['--gpu', '0'], 'CuPy with CUDA is not'),
])
def test_bad_options_stop_with_one_clear_message(tmp_path, capsys, argv,
                                                 message):
    if '--gpu' in argv and chainer.backends.cuda.available:
        pytest.skip('CUDA is available here')
    with pytest.raises(SystemExit) as e:
        train_sr.main(ARGS + ['--out', str(tmp_path)] + argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert pytest.importorskip('re').search(message, err)
    assert 'Traceback' not in err
    assert not os.path.exists(str(tmp_path / 'args.json'))


def test_benchmark_prints_the_table_for_its_faces_or_any_folder(
        sr_run, tmp_path, capsys):
    assert bench.main(['--model', sr_run]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith('| model | faces | n | bicubic PSNR')
    assert '| synthetic 16 -> 32 px | 20 |' in lines[2]
    faces = datasets.SyntheticFaceDataset(3, 64, 'test', seed=9)
    for k in range(3):  # a folder of face crops at another size
        Image.fromarray(transforms.from_chw_float(faces[k][0])).save(
            str(tmp_path / '{}.png'.format(k)))
    assert bench.main(['--model', sr_run, '--dataset', str(tmp_path),
                       '--split', 'all']) == 0
    row = capsys.readouterr().out.splitlines()[2]
    assert '| {} 16 -> 32 px | 3 |'.format(tmp_path) in row
    psnr = [float(v.split()[0]) for v in row.split('|')[4:6]]
    assert all(10 < p < 60 for p in psnr)
    with pytest.raises(SystemExit):
        bench.main(['--model', str(tmp_path / 'none.npz')])
    assert 'none.npz does not exist' in capsys.readouterr().err


def test_figure_shows_the_face_pasted_back_bicubic_then_sr_then_original(
        sr_run):
    photo = pytest.importorskip('skimage.data').astronaut()
    net, _ = sr_export.load(sr_run)
    up = sr_export.Upscaler(net, chainer.get_device('@numpy'))
    figure = np.asarray(bench.paste_figure(photo, up, 16))
    box = translation.FaceBoxes(faces.load_cascade(), 0.25,
                                largest=True)(photo)[0]
    side = box[2] - box[0]
    assert figure.shape == (14 + side + 4, 3 * (side + 2) + 2, 3)
    cells = [figure[16:16 + side, 2 + k * (side + 2):2 + k * (side + 2)
                    + side] for k in range(3)]
    np.testing.assert_array_equal(cells[2], transforms.crop_box(photo, box))
    truth = cells[2][None]
    assert fidelity.psnr(cells[1][None], truth) > fidelity.psnr(
        cells[0][None], truth)


def test_help_names_the_scale_and_the_model_file(capsys):
    with pytest.raises(SystemExit) as e:
        train_sr.main(['--help'])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert '--scale {2,4}' in out and 'upscaler.npz' in out


def test_trains_on_any_folder_of_face_pictures(tmp_path):
    people = datasets.SyntheticFaceDataset(6, 48, 'train', seed=4)
    for k in range(6):  # nested, as prepare.py's domain folders are
        path = tmp_path / 'faces' / 'abc'[k % 3] / '{}.png'.format(k)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(transforms.from_chw_float(people[k][0])).save(
            str(path))
    out = str(tmp_path / 'run')
    assert train_sr.main([
        '--dataset', str(tmp_path / 'faces'), '--image-size', '8',
        '--scale', '4', '--batch-size', '2', '--iterations', '2',
        '--channels', '4', '--n-samples', '1', '--test-fraction', '0.3',
        '--out', out]) == 0
    _, config = sr_export.load(out)
    assert config['dataset'] == str(tmp_path / 'faces')
    low, high = bench.held_out(config)
    assert low.shape == (2, 3, 8, 8) and high.shape == (2, 3, 32, 32)


def test_ctrl_c_writes_a_snapshot_and_the_model_and_exits_130(tmp_path):
    out = str(tmp_path / 'run')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(
        [sys.executable, os.path.join(root, 'train_sr.py')] + ARGS[:-1]
        + ['100000', '--out', out], cwd=root, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    first = os.path.join(out, 'samples_iter_00000000.png')
    deadline = time.time() + 60
    while not os.path.exists(first) and proc.poll() is None and \
            time.time() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    text = proc.communicate(timeout=60)[0]
    assert proc.returncode == 130, text
    assert 'Resume with the same options plus: --resume auto' in text
    snapshots = [n for n in os.listdir(out) if n.startswith('snapshot_iter_')]
    assert len(snapshots) == 1
    assert sr_export.load(out)[1]['scale'] == 2  # the model so far
