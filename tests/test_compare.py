"""compare.py end to end on tiny synthetic faces."""
import json
import os

from PIL import Image
import pytest

import chainer

import compare
from faceapp import compare as compare_lib
from faceapp import compare_eval
from faceapp import compare_report
from faceapp import options


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


def test_the_options_given_to_training_are_explicit():
    cfg = dict(pack_test=0.1, preset='small', image_size=32, batch_size=16,
               iterations=100, seed=3, gpu=-1, log_interval=10, n_samples=4,
               gan_loss='vanilla', label_noise=0.1, kernel_size=5,
               embedding_dis=True, perceptual_net=None)
    opts = compare_lib.stargan_options(cfg, 'p.npz', 'out')
    assert opts['dataset'] == 'p.npz' and opts['iterations'] == 100
    assert opts['batch_size'] == 16 and opts['eval_interval'] == 0
    assert opts['test_fraction'] == 0.1 and opts['force'] is False
    pair = compare_lib.cyclegan_options(cfg, 'p.npz', ('a', 'b'), 'o')
    assert pair['model'] == 'cyclegan' and pair['domains'] == ['a', 'b']
    assert (pair['gan_loss'], pair['kernel_size'], pair['batch_size']) == (
        'vanilla', 5, 16)
    # Every key is one of train.py's options (no typo trains silently),
    # plus the data the comparison judges the run on, for evaluate.py.
    assert set(pair) - {'eval_data'} <= set(options.defaults())
    assert pair['eval_data'] == opts['eval_data'] == {
        k: cfg.get(k)
        for k in compare_eval.BASE_KEYS + compare_eval.JUDGE_KEYS}


def test_better_column_follows_the_metric_direction():
    rows = compare_report._metric_rows(
        {'target_accuracy': 0.9, 'frechet_distance': 2.},
        {'target_accuracy': 0.5, 'frechet_distance': 1.})
    assert [r[-1] for r in rows] == ['StarGAN', 'CycleGAN']


@pytest.mark.parametrize('flag, value, message', [
    ('--iterations', '0', 'argument --iterations: must be positive, got 0'),
    ('--batch-size', '-2', 'argument --batch-size: must be positive'),
    ('--test-fraction', '1.5', 'argument --test-fraction: must be more than'),
    ('--pack-test', '1', 'argument --pack-test: must be more than 0 and '
     'less than 1'),
])
def test_impossible_budgets_and_fractions_are_refused(tmp_path, capsys, flag,
                                                      value, message):
    with pytest.raises(SystemExit) as e:
        compare.main(_argv(tmp_path, tmp_path / 'x', flag, value))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert 'error: ' + message in err and 'Traceback' not in err
    assert not (tmp_path / 'x').exists()


def test_an_unusable_out_is_refused_before_training(tmp_path, refused,
                                                    failing_writes,
                                                    monkeypatch):
    def no_training(opts):
        raise AssertionError('trained before checking --out')
    monkeypatch.setattr(compare_lib.training, 'run', no_training)
    taken = tmp_path / 'taken'
    taken.write_text('mine')
    for out in (taken, taken / 'cmp'):
        line = refused(compare.main, _argv(tmp_path, out))
        assert str(taken) in line and 'is a file' in line
    (tmp_path / 'ro').mkdir()
    failing_writes(tmp_path / 'ro')
    line = refused(compare.main, _argv(tmp_path, tmp_path / 'ro' / 'cmp'))
    assert 'Read-only file system' in line and str(tmp_path / 'ro') in line


def _given_runs(trained, out, *extra):
    tmp, first = trained
    return _argv(tmp, out, '--stargan-run', str(first / 'stargan'),
                 '--cyclegan-runs', str(first / 'cyclegan' / 'smile_sad'),
                 *extra)


def test_a_full_disk_at_the_report_leaves_no_partial_report(
        trained, tmp_path, refused, failing_writes):
    import errno
    out = tmp_path / 'cmp'
    # comparison.json is written, comparison.png fails.
    failing_writes(out, errno.ENOSPC, skip=1)
    line = refused(compare.main, _given_runs(trained, out))
    assert 'No space left on device' in line and str(out) in line
    assert not out.exists() or os.listdir(str(out)) == []


@pytest.mark.skipif(__import__('chainer').backends.cuda.available,
                    reason='has CUDA')
def test_gpu_without_cuda_fails_clearly(trained, tmp_path, refused):
    line = refused(compare.main, _given_runs(trained, tmp_path / 'cmp',
                                             '--gpu', '0'))
    assert '--gpu 0' in line and 'CuPy' in line


def test_an_untrained_judge_is_flagged(trained, tmp_path, capsys):
    out = tmp_path / 'cmp'
    argv = _given_runs(trained, out)
    argv[argv.index('--classifier-iterations') + 1] = '0'
    assert compare.main(argv) == 0
    result = json.load(open(str(out / 'comparison.json')))
    assert result['judge_accuracy_real'] < 1.5 * 0.2  # chance: 1 in 5
    warning = result['judge_warning']
    assert 'below 1.5x chance' in warning
    assert warning in open(str(out / 'report.md')).read()
    assert warning in capsys.readouterr().out


def test_running_again_on_the_same_out_is_refused_naming_force(
        trained, refused, monkeypatch):
    tmp, out = trained

    def no_training(opts):
        raise AssertionError('trained over an earlier comparison')
    monkeypatch.setattr(compare_lib.training, 'run', no_training)
    line = refused(compare.main, _argv(tmp, out))
    assert 'holds an earlier comparison' in line and '--force' in line
    assert os.path.join(str(out), 'stargan') in line
    assert os.path.exists(os.path.join(str(out), 'stargan', 'generator.npz'))
    cfg = dict(pack_test=0.1, preset='tiny', image_size=32, batch_size=4,
               iterations=3, seed=0, gpu=-1, log_interval=3, n_samples=2,
               force=True)
    assert compare_lib.stargan_options(cfg, 'p.npz', 'o')['force'] is True


def test_report_and_evaluate_agree_on_a_given_cyclegan_run(tmp_path):
    # A baseline the user trained, reused by compare.py and evaluated on
    # its own: the same judge, images and metrics, so the same numbers.
    import evaluate
    import train
    run = str(tmp_path / 'run')
    assert train.main(['--model', 'cyclegan', '--domains', 'smile', 'sad',
                       '--preset', 'tiny', '--n-train', '60', '--n-test',
                       '20', '--iterations', '2', '--out', run]) == 0
    argv = _argv(tmp_path, tmp_path / 'cmp', '--cyclegan-runs', run)
    argv[argv.index('--iterations') + 1] = '2'
    assert compare.main(argv) == 0
    assert evaluate.main([run, '--n-test', '10', '--classifier-iterations',
                          '5', '--cache-dir', str(tmp_path / 'cache'),
                          '--out', str(tmp_path / 'eval')]) == 0
    report = json.load(open(str(tmp_path / 'cmp' / 'comparison.json')))
    own = json.load(open(str(tmp_path / 'eval' / 'metrics.json')))
    _assert_same_scores(own, report['models']['CycleGAN'])


def _assert_same_scores(own, model):
    """evaluate.py's metrics.json ``own`` and compare.py's scores of one
    model agree number for number."""
    assert set(own['per_direction']) == set(model['per_direction']) == {
        'smile>sad', 'sad>smile'}
    for direction, scores in model['per_direction'].items():
        for key in ('target_accuracy', 'reconstruction_l1',
                    'frechet_distance', 'ground_truth_l1'):
            assert own['per_direction'][direction][key] == scores[key], (
                direction, key)
    for key in ('target_accuracy', 'reconstruction_l1'):
        assert own[key] == model['overall'][key]


def test_report_and_evaluate_agree_on_the_runs_compare_trained(
        trained, tmp_path, capsys):
    # The runs learned from the comparison's pack; evaluate.py judges them
    # on the images compare.py did (args.json's eval_data), not the pack's.
    import evaluate
    tmp, out = trained
    report = json.load(open(str(out / 'comparison.json')))['models']
    runs = {'StarGAN': out / 'stargan',
            'CycleGAN': out / 'cyclegan' / 'smile_sad'}
    for name, run in runs.items():
        eval_data = json.load(open(str(run / 'args.json')))['eval_data']
        assert (eval_data['n_test'], eval_data['n_eval'],
                eval_data['classifier_iterations']) == (20, 10, 5)
        capsys.readouterr()
        # No judging flags: evaluate.py takes compare's from eval_data.
        assert evaluate.main([str(run), '--cache-dir', str(tmp / 'cache'),
                              '--out', str(tmp_path / name)]) == 0
        assert 'eval_data in args.json' in capsys.readouterr().out
        own = json.load(open(str(tmp_path / name / 'metrics.json')))
        _assert_same_scores(own, report[name])
    # --own-split: the run's own held-out images, a part of the pack.
    assert evaluate.main([str(runs['CycleGAN']), '--own-split', '--n-test',
                          '10', '--classifier-iterations', '5', '--cache-dir',
                          str(tmp / 'cache'), '--out',
                          str(tmp_path / 'own')]) == 0
    assert 'eval_data' not in capsys.readouterr().out
    own = json.load(open(str(tmp_path / 'own' / 'metrics.json')))
    assert own['per_direction'] != report['CycleGAN']['per_direction']
