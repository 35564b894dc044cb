"""evaluate.py end to end on a tiny synthetic run."""
import json
import os

import numpy as np
import pytest

import evaluate
import train


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('run'))
    train.main(['--preset', 'tiny', '--n-train', '30', '--n-test', '15',
                '--iterations', '2', '--eval-interval', '0', '--out', out])
    return out


def test_report_for_a_synthetic_run(run_dir, tmp_path):
    out = str(tmp_path / 'eval')
    argv = [os.path.join(run_dir, 'snapshot_iter_2'), '--out', out,
            '--n-test', '15', '--classifier-iterations', '5',
            '--cache-dir', str(tmp_path / 'cache')]
    assert evaluate.main(argv) == 0
    assert {'metrics.json', 'report.md', 'translations.png',
            'per_domain.png'} <= set(os.listdir(out))
    result = json.load(open(os.path.join(out, 'metrics.json')))
    for key in ('target_accuracy', 'frechet_distance', 'kernel_distance',
                'kernel_distance_std', 'reconstruction_l1',
                'ground_truth_l1', 'ground_truth_psnr',
                'classifier_accuracy_real', 'frechet_floor',
                'frechet_ratio', 'identity_score'):
        assert np.isfinite(result[key]), key
    assert result['frechet_ratio'] == pytest.approx(
        result['frechet_distance'] / result['frechet_floor'])
    assert set(result['frechet_floor_per_domain']) == set(
        result['frechet_distance_per_domain'])
    assert set(result['identity_score_per_target']) == set(
        result['target_accuracy_per_target'])
    assert set(result['target_accuracy_table']) <= {
        'neutral', 'smile', 'sad', 'surprised', 'angry'}
    report = open(os.path.join(out, 'report.md')).read()
    assert '| target_accuracy |' in report and 'source \\ target' in report
    assert '| identity_score |' in report and '| domain | Frechet | floor' \
        in report
    assert '(floor {:.4f}, {:.2f}x)'.format(
        result['frechet_floor'], result['frechet_ratio']) in report
    # Deterministic for a seed (the cached judge is reused).
    assert evaluate.main(argv) == 0
    assert json.load(open(os.path.join(out, 'metrics.json'))) == result


def test_the_asked_gpu_is_made_current(run_dir, tmp_path,
                                      recording_device):
    device, gpus = recording_device
    argv = [os.path.join(run_dir, 'snapshot_iter_2'), '--out',
            str(tmp_path / 'eval'), '--n-test', '15', '--gpu', '1',
            '--classifier-iterations', '5', '--metrics', 'target_accuracy',
            '--cache-dir', str(tmp_path / 'cache')]
    assert evaluate.main(argv) == 0
    assert gpus == [1] and device.used >= 1


def test_inception_fid_is_skipped_with_a_reason(run_dir, tmp_path):
    out = str(tmp_path / 'eval')
    evaluate.main([os.path.join(run_dir, 'snapshot_iter_2'), '--out', out,
                   '--n-test', '10', '--classifier-iterations', '2',
                   '--metrics', 'reconstruction', 'inception_fid',
                   '--cache-dir', str(tmp_path / 'cache')])
    result = json.load(open(os.path.join(out, 'metrics.json')))
    assert 'inception' in result['skipped']['inception_fid'].lower()


def test_bad_snapshot_and_missing_run_options(run_dir, tmp_path, capsys):
    bad = tmp_path / 'bad.npz'
    bad.write_bytes(b'nonsense')
    with pytest.raises(SystemExit):
        evaluate.main([str(bad), '--run-dir', run_dir])
    assert 'bad.npz' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        evaluate.main([str(bad)])
    assert 'args.json' in capsys.readouterr().err


def test_inception_fid_with_a_local_weights_file(run_dir, tmp_path):
    import chainer
    import chainer.links as L
    weights = str(tmp_path / 'googlenet.npz')
    chainer.serializers.save_npz(weights, L.GoogLeNet(pretrained_model=None))
    out = str(tmp_path / 'eval')
    evaluate.main([os.path.join(run_dir, 'snapshot_iter_2'), '--out', out,
                   '--n-test', '6', '--classifier-iterations', '2',
                   '--metrics', 'inception_fid', '--inception', weights,
                   '--cache-dir', str(tmp_path / 'cache')])
    result = json.load(open(os.path.join(out, 'metrics.json')))
    assert np.isfinite(result['inception_fid']) and result['inception_fid'] > 0


def test_report_for_a_folder_dataset_run(tmp_path):
    from PIL import Image
    rng = np.random.RandomState(0)
    for domain in ('calm', 'happy'):
        (tmp_path / 'data' / domain).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.randint(0, 256, (36, 36, 3)).astype(
                np.uint8)).save(str(tmp_path / 'data' / domain /
                                    '{}.png'.format(i)))
    run = str(tmp_path / 'run')
    assert train.main(['--preset', 'tiny', '--dataset',
                       str(tmp_path / 'data'), '--test-fraction', '0.5',
                       '--iterations', '2', '--eval-interval', '0',
                       '--out', run]) == 0
    out = str(tmp_path / 'eval')
    assert evaluate.main([os.path.join(run, 'snapshot_iter_2'), '--out', out,
                          '--classifier-iterations', '3', '--cache-dir',
                          str(tmp_path / 'cache')]) == 0
    result = json.load(open(os.path.join(out, 'metrics.json')))
    assert 0 <= result['target_accuracy'] <= 1
    assert np.isfinite(result['reconstruction_l1'])
    assert 'ground-truth' in result['skipped']['ground_truth']
    assert set(result['target_accuracy_table']) == {'calm', 'happy'}


@pytest.fixture(scope='module')
def small_run(tmp_path_factory):
    """A run of another preset (wider layers) on the same faces."""
    out = str(tmp_path_factory.mktemp('small'))
    assert train.main(['--preset', 'small', '--image-size', '32',
                       '--n-train', '30', '--n-test', '15', '--n-samples',
                       '2', '--iterations', '1', '--eval-interval', '0',
                       '--out', out]) == 0
    return os.path.join(out, 'snapshot_iter_1')


def test_snapshot_of_another_preset_is_named_with_its_shapes(
        run_dir, small_run, capsys):
    with pytest.raises(SystemExit) as e:
        evaluate.main([small_run, '--run-dir', run_dir])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert '{} is a snapshot of a different preset or label set: 22 ' \
        'array(s) differ in shape'.format(small_run) in err
    # The generator's arrays (its weight average, which evaluation loads).
    assert 'updater/ema/average/c_in/W is (16, 8, 7, 7) in the file, ' \
        '(8, 8, 7, 7) here' in err
    assert 'broadcast' not in err and 'Traceback' not in err
    # train.py --resume says the same.
    with pytest.raises(SystemExit) as e:
        train.main(['--preset', 'tiny', '--n-train', '30', '--n-test', '15',
                    '--iterations', '2', '--eval-interval', '0', '--out',
                    os.path.dirname(small_run) + '_2', '--resume',
                    small_run])
    err = capsys.readouterr().err
    assert 'error: --resume: {} is a snapshot of a different preset or ' \
        'label set'.format(small_run) in err
    assert 'broadcast' not in err and 'Traceback' not in err


def _argv(run_dir, tmp_path, out, *extra):
    return [run_dir, '--out', str(out), '--n-test', '10',
            '--classifier-iterations', '2', '--cache-dir',
            str(tmp_path / 'cache')] + list(extra)


def test_an_out_that_is_a_file_is_refused_before_the_work(run_dir, tmp_path,
                                                          refused):
    out = tmp_path / 'notes.txt'
    out.write_text('mine')
    for given in (out, out / 'eval'):
        line = refused(evaluate.main, _argv(run_dir, tmp_path, given))
        assert str(out) in line and 'is a file' in line and '--out' in line
    assert out.read_text() == 'mine'
    assert not (tmp_path / 'cache').exists()  # no judge was trained


def test_a_read_only_out_is_refused_before_the_work(run_dir, tmp_path,
                                                    refused, failing_writes):
    (tmp_path / 'ro').mkdir()
    failing_writes(tmp_path / 'ro')
    line = refused(evaluate.main, _argv(run_dir, tmp_path,
                                        tmp_path / 'ro' / 'e'))
    assert 'Read-only file system' in line and str(tmp_path / 'ro') in line
    assert os.listdir(str(tmp_path / 'ro')) == []
    assert not (tmp_path / 'cache').exists()


def test_a_full_disk_leaves_the_old_report_and_no_partial_one(
        run_dir, tmp_path, refused, failing_writes):
    import errno
    out = tmp_path / 'eval'
    out.mkdir()
    (out / 'metrics.json').write_text('{"old": 1}')
    # metrics.json and translations.png are written, per_domain.png fails.
    failing_writes(out, errno.ENOSPC, skip=2)
    line = refused(evaluate.main, _argv(run_dir, tmp_path, out))
    assert 'No space left on device' in line and str(out) in line
    assert os.listdir(str(out)) == ['metrics.json']
    assert (out / 'metrics.json').read_text() == '{"old": 1}'


def test_a_run_dir_is_accepted_as_translate_py_accepts_it(run_dir, tmp_path):
    out = tmp_path / 'eval'
    assert evaluate.main(_argv(run_dir, tmp_path, out)) == 0
    result = json.load(open(str(out / 'metrics.json')))
    assert result['snapshot'] == os.path.join(run_dir, 'snapshot_iter_2')


def test_an_untrained_judge_is_flagged_everywhere(run_dir, tmp_path, capsys):
    out = tmp_path / 'eval'
    argv = _argv(run_dir, tmp_path, out)
    argv[argv.index('--classifier-iterations') + 1] = '0'
    assert evaluate.main(argv) == 0
    result = json.load(open(str(out / 'metrics.json')))
    chance = result['classifier_chance']
    assert chance == pytest.approx(0.2)  # five expressions
    assert result['classifier_accuracy_real'] < 1.5 * chance
    warning = result['judge_warning']
    assert 'below 1.5x chance' in warning and 'not meaningful' in warning
    assert warning in open(str(out / 'report.md')).read()
    assert warning in capsys.readouterr().out


def test_report_for_a_cyclegan_run(cyclegan_run, tmp_path):
    out = tmp_path / 'eval'
    argv = [os.path.join(cyclegan_run, 'snapshot_iter_1'), '--out', str(out),
            '--n-test', '15', '--classifier-iterations', '3', '--cache-dir',
            str(tmp_path / 'cache')]
    assert evaluate.main(argv) == 0
    result = json.load(open(str(out / 'metrics.json')))
    assert result['model'] == 'cyclegan'
    assert result['snapshot'].endswith('snapshot_iter_1')
    assert set(result['per_direction']) == {'smile>sad', 'sad>smile'}
    for scores in [result] + list(result['per_direction'].values()):
        assert 0 <= scores['target_accuracy'] <= 1
        for key in ('frechet_distance', 'kernel_distance',
                    'reconstruction_l1', 'ground_truth_l1', 'frechet_floor',
                    'frechet_ratio', 'identity_score'):
            assert np.isfinite(scores[key]), key
    assert 0 <= result['classifier_accuracy_real'] <= 1
    assert set(result['target_accuracy_table']) == {'smile', 'sad'}
    report = open(str(out / 'report.md')).read()
    assert 'smile>sad' in report and '| target_accuracy |' in report
    assert '| identity_score |' in report and 'frechet_floor' in report
    # The run dir itself: its newest snapshot.
    assert evaluate.main([cyclegan_run] + argv[1:]) == 0
    newest = json.load(open(str(out / 'metrics.json')))
    assert newest['snapshot'].endswith('snapshot_iter_2')
    # Its export holds the same generators: the same numbers.
    assert evaluate.main([os.path.join(cyclegan_run, 'generator.npz')] +
                         argv[1:]) == 0
    exported = json.load(open(str(out / 'metrics.json')))
    assert exported['snapshot'].endswith('generator.npz')
    assert exported['per_direction'] == newest['per_direction']


def test_a_generator_kind_this_version_lacks_is_one_line(run_dir, tmp_path,
                                                         capsys):
    # A run of another version names a --generator this one does not build.
    other = tmp_path / 'other'
    os.makedirs(str(other))
    for name in os.listdir(run_dir):
        if name.startswith('snapshot_iter_'):
            os.symlink(os.path.join(run_dir, name), str(other / name))
    with open(os.path.join(run_dir, 'args.json')) as f:
        opts = json.load(f)
    (other / 'args.json').write_text(json.dumps(dict(opts,
                                                     generator='guided')))
    with pytest.raises(SystemExit) as e:
        evaluate.main(_argv(str(other), tmp_path, tmp_path / 'eval'))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert 'name --generator guided, which this version does not build' in err
    assert 'Traceback' not in err and not (tmp_path / 'eval').exists()
