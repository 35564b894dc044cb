"""train.py on several datasets at once (mask vector), end to end."""
import json
import os

import numpy as np
from PIL import Image
import pytest

import evaluate
from faceapp import export
from faceapp import snapshots
import train
import translate

JOINT = ['--dataset', 'synthetic:expression', '--dataset', 'synthetic:hair',
         '--preset', 'tiny', '--n-train', '30', '--n-test', '10',
         '--n-samples', '4', '--log-interval', '2']
LABELS = ['neutral', 'smile', 'sad', 'surprised', 'angry',
          'black', 'blond', 'brown', 'pink', 'blue']


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp('joint')
    out = str(base / 'run')
    assert train.main(JOINT + [
        '--iterations', '4', '--eval-interval', '4', '--n-eval', '6',
        '--classifier-iterations', '3', '--cache-dir', str(base / 'cache'),
        '--out', out]) == 0
    return out


def test_joint_run_writes_a_grid_of_every_domain_and_a_joint_model(run_dir):
    args = json.load(open(os.path.join(run_dir, 'args.json')))
    assert args['dataset'] == ['synthetic:expression', 'synthetic:hair']
    gen, config = export.load_exported(os.path.join(run_dir, 'generator.npz'))
    assert config['label_names'] == LABELS + [
        'dataset=synthetic-expression', 'dataset=synthetic-hair']
    assert [name for name, _ in config['datasets']] == [
        'synthetic-expression', 'synthetic-hair']
    # Rows: 4 faces (2 per dataset); columns: the input + all 10 domains.
    grid = Image.open(os.path.join(run_dir, 'samples_latest.png'))
    first = Image.open(os.path.join(run_dir, 'samples_iter_00000000.png'))
    assert grid.size == first.size
    assert grid.size[0] > 10 * 32 and grid.size[1] > 4 * 32


def test_joint_run_reports_each_datasets_accuracy(run_dir):
    log = json.load(open(os.path.join(run_dir, 'log')))
    last = log[-1]
    for name in ('synthetic-expression', 'synthetic-hair'):
        for metric in ('target_accuracy', 'cross_accuracy',
                       'reconstruction_l1'):
            assert 0 <= last['eval/{}/{}'.format(name, metric)] < 10
    assert os.path.exists(os.path.join(run_dir, 'eval_target_accuracy.png'))


def test_joint_run_resumes_with_its_iterator_state(run_dir, tmp_path):
    out = str(tmp_path / 'resumed')
    assert train.main(JOINT + [
        '--iterations', '6', '--eval-interval', '0', '--out', out,
        '--resume', os.path.join(run_dir, 'snapshot_iter_4')]) == 0
    with np.load(os.path.join(out, 'snapshot_iter_6')) as f:
        assert int(f['updater/iterator:main/iteration']) == 6


def test_translate_targets_either_dataset_from_any_face(run_dir, tmp_path):
    face = Image.fromarray(np.full((32, 32, 3), 128, np.uint8))
    face.save(str(tmp_path / 'face.png'))
    out = str(tmp_path / 'out')
    for target in (['smile'], ['hair=blond']):
        assert translate.main([str(tmp_path / 'face.png'), '--model', run_dir,
                               '--no-detect', '--quiet', '--target']
                              + target + ['--out', out]) == 0
    assert translate.main([str(tmp_path / 'face.png'), '--model', run_dir,
                           '--no-detect', '--quiet', '--all', '--out',
                           out]) == 0
    assert {'face_smile.png', 'face_hair=blond.png', 'face_all.png'} <= \
        set(os.listdir(out))


def test_translate_refuses_labels_of_two_datasets(run_dir, tmp_path, capsys):
    with pytest.raises(SystemExit):
        translate.main(['x.png', '--model', run_dir, '--target', 'smile',
                        'blond'])
    err = capsys.readouterr().err
    assert 'not all of one dataset' in err and 'synthetic-hair' in err


def test_evaluate_writes_a_report_per_dataset(run_dir, tmp_path):
    out = str(tmp_path / 'eval')
    assert evaluate.main([os.path.join(run_dir, 'snapshot_iter_4'), '--out',
                          out, '--n-test', '6', '--classifier-iterations',
                          '3', '--cache-dir', str(tmp_path / 'c')]) == 0
    result = json.load(open(os.path.join(out, 'metrics.json')))
    for name in ('synthetic-expression', 'synthetic-hair'):
        part = result['datasets'][name]
        assert 0 <= part['cross_accuracy'] <= 1
        assert 0 <= part['target_accuracy'] <= 1
        assert 'ground_truth_l1' in part  # synthetic faces have a truth
        assert part['identity_score'] > 0
        assert os.path.exists(os.path.join(out, name, 'report.md'))


def _exit_message(capsys, argv):
    with pytest.raises(SystemExit) as e:
        train.main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize('extra, message', [
    (['--joint-ratio', '1'], '--joint-ratio needs one non-negative weight'),
    (['--joint-ratio', '1', '-1'], '--joint-ratio needs one non-negative'),
    (['--model', 'cyclegan'], 'several datasets at once need --model '
     'stargan'),
])
def test_bad_joint_options_name_their_flag(capsys, tmp_path, extra, message):
    err = _exit_message(capsys, JOINT + extra + ['--out', str(tmp_path)])
    assert message in err


def test_ratio_needs_several_datasets_and_specs_are_checked(capsys,
                                                            tmp_path):
    err = _exit_message(capsys, ['--joint-ratio', '1', '2', '--out',
                                 str(tmp_path)])
    assert '--joint-ratio needs two or more --dataset' in err
    err = _exit_message(capsys, ['--dataset', 'synthetic:glasses', '--out',
                                 str(tmp_path), '--preset', 'tiny'])
    assert '--dataset synthetic:glasses' in err and 'synthetic:hair' in err


def test_ratio_sets_the_share_of_batches(tmp_path):
    out = str(tmp_path / 'r')
    assert train.main(JOINT + ['--joint-ratio', '1', '0', '--iterations',
                               '3', '--eval-interval', '0', '--out',
                               out]) == 0
    # Weight 0: every batch came from the first dataset.
    with np.load(os.path.join(out, 'snapshot_iter_3')) as f:
        assert int(f['updater/iterator:main/part0/current_position']) == 12
        assert int(f['updater/iterator:main/part1/current_position']) == 0
    assert snapshots.has_key_prefix(os.path.join(out, 'snapshot_iter_3'),
                                    'updater/model:gen/')
