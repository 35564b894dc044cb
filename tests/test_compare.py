"""compare.py end to end on tiny synthetic faces."""
import json
import os

import pytest
from PIL import Image

import chainer

import compare
from extensions import compare as compare_lib
from extensions import compare_eval
from extensions import compare_report


def _argv(tmp, out, *extra):
    return ['--domains', 'smile', 'sad', '--preset', 'tiny', '--n-train',
            '60', '--n-test', '20', '--iterations', '3', '--n-eval', '10',
            '--classifier-iterations', '5', '--cache-dir',
            str(tmp / 'cache'), '--log-interval', '3', '--n-samples', '2',
            '--pack-test', '0.2', '--out', str(out)] + list(extra)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('compare')
    out = tmp / 'cmp'
    assert compare.main(_argv(tmp, out)) == 0
    return tmp, out


def test_trains_both_and_writes_the_report(trained):
    _, out = trained
    files = set(os.listdir(str(out)))
    assert {'report.md', 'comparison.json', 'comparison.png', 'stargan',
            'cyclegan', 'data'} <= files
    assert 'snapshot_iter_3' in os.listdir(str(out / 'stargan'))
    assert 'snapshot_iter_3' in os.listdir(str(out / 'cyclegan' /
                                               'smile_sad'))
    result = json.load(open(str(out / 'comparison.json')))
    star, cycle = result['models']['StarGAN'], result['models']['CycleGAN']
    assert star['generators'] == 1 and cycle['generators'] == 2
    assert star['trained_on'] == ['smile', 'sad']  # only the chosen two
    for model in (star, cycle):
        assert set(model['per_direction']) == {'smile>sad', 'sad>smile'}
        for scores in [model['overall']] + list(
                model['per_direction'].values()):
            assert 0 <= scores['target_accuracy'] <= 1
            for key in ('frechet_distance', 'kernel_distance',
                        'reconstruction_l1', 'ground_truth_l1',
                        'ground_truth_psnr'):
                assert key in scores
        assert model['train_time_s'] > 0 and model['iterations'] == 3
    assert result['config']['domains'] == ['smile', 'sad']
    report = open(str(out / 'report.md')).read()
    for text in ('StarGAN', 'CycleGAN', 'smile>sad', 'k(k-1)',
                 'comparison.png', 'same images'):
        assert text in report
    picture = Image.open(str(out / 'comparison.png'))
    assert picture.height > 2 * 64  # one grid per direction


def test_reuses_given_runs_without_training(trained):
    tmp, out = trained
    again = tmp / 'again'
    argv = _argv(tmp, again, '--stargan-run', str(out / 'stargan'),
                 '--cyclegan-runs', str(out / 'cyclegan' / 'smile_sad'))
    assert compare.main(argv) == 0
    assert not os.path.exists(str(again / 'stargan'))
    first = json.load(open(str(out / 'comparison.json')))['models']
    second = json.load(open(str(again / 'comparison.json')))['models']
    for name in ('StarGAN', 'CycleGAN'):
        assert second[name]['overall'] == first[name]['overall']


@pytest.mark.skipif(chainer.backends.cuda.available, reason='has CUDA')
def test_gpu_without_cuda_fails_clearly_before_training(tmp_path, capsys):
    out = tmp_path / 'cmp'
    with pytest.raises(SystemExit) as e:
        compare.main(_argv(tmp_path, out, '--gpu', '0'))
    assert e.value.code != 0
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    assert '--gpu 0' in err.strip().splitlines()[-1] and 'CuPy' in err
    assert not out.exists()  # nothing trained or written


def test_unknown_domain_is_a_clear_error(tmp_path, capsys):
    argv = _argv(tmp_path, tmp_path / 'x')
    argv[1] = 'grin'
    with pytest.raises(SystemExit):
        compare.main(argv)
    err = capsys.readouterr().err
    assert "unknown domain 'grin'" in err and 'neutral, smile' in err


def test_a_missing_pair_run_is_named(trained, capsys):
    tmp, out = trained
    argv = _argv(tmp, tmp / 'three', '--stargan-run', str(out / 'stargan'),
                 '--cyclegan-runs', str(out / 'cyclegan' / 'smile_sad'))
    argv[3:3] = ['angry']
    with pytest.raises(SystemExit):
        compare.main(argv)
    assert 'never learned angry' in capsys.readouterr().err


def test_pairs_and_directions_for_k_domains():
    d = ['a', 'b', 'c', 'd']
    assert len(compare_eval.domain_pairs(d)) == 6  # k(k-1)/2 models
    assert len(compare_eval.directions(d)) == 12  # k(k-1) generators


def test_the_argv_given_to_train_is_explicit():
    cfg = dict(pack_test=0.1, preset='small', image_size=32, batch_size=16,
               iterations=100, seed=3, gpu=-1, log_interval=10, n_samples=4)
    argv = compare_lib.stargan_argv(cfg, 'p.npz', 'out')
    pairs = dict(zip(argv[::2], argv[1::2]))
    assert pairs['--dataset'] == 'p.npz' and pairs['--iterations'] == '100'
    assert pairs['--batch-size'] == '16' and pairs['--eval-interval'] == '0'


def test_better_column_follows_the_metric_direction():
    rows = compare_report._metric_rows(
        {'target_accuracy': 0.9, 'frechet_distance': 2.},
        {'target_accuracy': 0.5, 'frechet_distance': 1.})
    assert [r[-1] for r in rows] == ['StarGAN', 'CycleGAN']
