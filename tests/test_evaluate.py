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
                'classifier_accuracy_real'):
        assert np.isfinite(result[key]), key
    assert set(result['target_accuracy_table']) <= {
        'neutral', 'smile', 'sad', 'surprised', 'angry'}
    report = open(os.path.join(out, 'report.md')).read()
    assert '| target_accuracy |' in report and 'source \\ target' in report
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
