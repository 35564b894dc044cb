"""train.py end to end, on tiny synthetic faces."""
import json
import os

import numpy as np
from PIL import Image
import pytest

import chainer

import datasets
import train

TINY = ['--preset', 'tiny', '--n-train', '40', '--n-test', '10',
        '--n-samples', '3', '--log-interval', '2', '--eval-interval', '0']


def test_short_run_writes_grids_log_plots_snapshot_and_args(tmp_path):
    out = str(tmp_path / 'run')
    assert train.main(TINY + ['--iterations', '6', '--sample-interval', '3',
                              '--snapshot-interval', '6', '--out', out]) == 0
    files = set(os.listdir(out))
    assert {'samples_iter_00000000.png', 'samples_iter_00000003.png',
            'samples_iter_00000006.png', 'samples_latest.png', 'log',
            'loss_adv.png', 'loss_cls.png', 'loss_rec_gp.png',
            'snapshot_iter_6', 'args.json', 'generator.npz'} <= files
    from faceapp import export
    gen, config = export.load_exported(os.path.join(out, 'generator.npz'))
    assert config['label_names'] == list(datasets.EXPRESSIONS)
    log = json.load(open(os.path.join(out, 'log')))
    assert [e['iteration'] for e in log] == [2, 4, 6]
    assert 'gen/loss_rec' in log[-1] and 'dis/loss_gp' in log[-1]
    args = json.load(open(os.path.join(out, 'args.json')))
    assert args['preset'] == 'tiny' and args['g_conv_dim'] == 8
    assert args['iterations'] == 6 and args['decay_start'] == 3


def test_resume_continues_from_the_snapshot(tmp_path):
    out = str(tmp_path / 'run')
    train.main(TINY + ['--iterations', '5', '--snapshot-interval', '5',
                       '--out', out])
    out2 = str(tmp_path / 'run2')
    train.main(TINY + ['--iterations', '7', '--out', out2, '--resume',
                       os.path.join(out, 'snapshot_iter_5')])
    # The log is part of the snapshot, so it continues where it stopped.
    log = json.load(open(os.path.join(out2, 'log')))
    assert [e['iteration'] for e in log] == [2, 4, 5, 6, 7]
    assert 'snapshot_iter_7' in os.listdir(out2)


def test_evaluation_during_training_is_logged_and_plotted(tmp_path):
    out = str(tmp_path / 'run')
    argv = TINY[:-2] + ['--iterations', '4', '--eval-interval', '2',
                        '--n-eval', '10', '--classifier-iterations', '3',
                        '--cache-dir', str(tmp_path / 'cache'), '--out', out]
    assert train.main(argv) == 0
    log = json.load(open(os.path.join(out, 'log')))
    assert [e['iteration'] for e in log if 'eval/target_accuracy' in e] == [
        2, 4]
    assert 0 <= log[-1]['eval/target_accuracy'] <= 1
    assert 'eval/frechet_distance' in log[-1]
    assert 0 <= log[-1]['eval/judge_accuracy'] <= 1  # on real test images
    assert 0 <= log[-1]['eval/dis_accuracy'] <= 1  # D's classifier, the same
    assert 0 <= log[-1]['eval/dis_target_accuracy'] <= 1  # on translations
    assert 0 <= log[-1]['eval/dis_train_accuracy'] <= 1  # real, seen in training
    assert os.path.exists(os.path.join(out, 'eval_dis_accuracy.png'))
    assert os.path.exists(os.path.join(out, 'eval_target_accuracy.png'))
    assert len(os.listdir(str(tmp_path / 'cache'))) == 1  # judge cached


def test_a_minibatch_std_critic_is_not_scored_out_of_its_batches(tmp_path):
    out = str(tmp_path / 'run')
    argv = TINY[:-2] + ['--iterations', '2', '--eval-interval', '2',
                        '--n-eval', '6', '--classifier-iterations', '3',
                        '--cache-dir', str(tmp_path / 'cache'),
                        '--dis-minibatch-std', '--out', out]
    assert train.main(argv) == 0
    log = json.load(open(os.path.join(out, 'log')))
    assert 'eval/target_accuracy' in log[-1]
    assert not [k for k in log[-1] if k.startswith('eval/dis_')]


def test_a_snapshot_from_before_the_d_accuracy_plot_resumes(tmp_path):
    # Snapshots written before eval_dis_accuracy.png existed hold no
    # state of its PlotReport: the run resumes and draws the plot anew.
    out, cache = str(tmp_path / 'run'), str(tmp_path / 'cache')
    argv = TINY[:-2] + ['--eval-interval', '2', '--n-eval', '6',
                        '--classifier-iterations', '3', '--cache-dir', cache]
    assert train.main(argv + ['--iterations', '2', '--snapshot-interval', '2',
                              '--out', out]) == 0
    snap = os.path.join(out, 'snapshot_iter_2')
    with np.load(snap) as f:
        arrays = {k: f[k] for k in f.files}
    gone = [k for k in arrays if k.startswith('extensions/PlotReport_5/')]
    assert gone  # the plot's state is where the test looks for it
    old = str(tmp_path / 'old_snapshot.npz')
    np.savez(old, **{k: v for k, v in arrays.items() if k not in gone})
    out2 = str(tmp_path / 'run2')
    assert train.main(argv + ['--iterations', '4', '--out', out2,
                              '--resume', old]) == 0
    log = json.load(open(os.path.join(out2, 'log')))
    assert [e['iteration'] for e in log if 'eval/dis_accuracy' in e] == [
        2, 4]
    assert os.path.exists(os.path.join(out2, 'eval_dis_accuracy.png'))


def _exit_message(capsys, argv):
    with pytest.raises(SystemExit) as e:
        train.main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err


@pytest.mark.skipif(chainer.backends.cuda.available, reason='has CUDA')
def test_gpu_without_cuda_fails_clearly(capsys, tmp_path):
    err = _exit_message(capsys, ['--gpu', '0', '--out', str(tmp_path)])
    assert '--gpu 0' in err and 'CuPy' in err


@pytest.mark.parametrize('flag, expected', [
    ([], True), (['--no-deterministic'], False), (['--deterministic'], True)])
def test_training_runs_cudnn_deterministic_unless_asked_not_to(
        tmp_path, monkeypatch, flag, expected):
    # Bitwise resume on the GPU needs cuDNN's deterministic algorithms;
    # the setting is scoped to the run.
    seen = []
    monkeypatch.setattr(chainer.training.Trainer, 'run',
                        lambda self, **kwargs: seen.append(
                            chainer.config.cudnn_deterministic))
    assert train.main(TINY + ['--iterations', '1', '--out',
                              str(tmp_path)] + flag) == 0
    assert seen == [expected]
    assert chainer.config.cudnn_deterministic is False  # chainer's default


def test_bad_dataset_is_named(capsys, tmp_path):
    err = _exit_message(capsys, TINY + ['--dataset', str(tmp_path / 'nope'),
                                        '--out', str(tmp_path)])
    assert 'nope' in err


def test_bad_values_name_their_flag(capsys, tmp_path):
    err = _exit_message(capsys, TINY + ['--batch-size', '0'])
    assert '--batch-size' in err
    err = _exit_message(capsys, TINY + ['--image-size', '36'])
    assert '--image-size 36' in err


def test_resume_refuses_pickled_files(capsys, tmp_path):
    evil = str(tmp_path / 'evil.npz')
    np.savez(evil, x=np.array([object()], dtype=object))
    err = _exit_message(capsys, TINY + ['--resume', evil,
                                        '--out', str(tmp_path / 'o')])
    assert 'object arrays' in err


def _folder_tree(root):
    rng = np.random.RandomState(0)
    for domain in ('calm', 'happy'):
        (root / domain).mkdir(parents=True)
        for i in range(4):
            Image.fromarray(rng.randint(0, 256, (40, 36, 3)).astype(
                np.uint8)).save(str(root / domain / '{}.png'.format(i)))
    return str(root)


def _celeba_root(root):
    from tests.datasets_tests.test_celeba import _write_celeba, ROWS
    return str(_write_celeba(root, rows=ROWS[:7], size=(180, 200)))


def _pack_file(root):
    from datasets import pack
    images = np.random.RandomState(0).randint(0, 256, (8, 32, 32, 3)).astype(
        np.uint8)
    labels = np.eye(2, dtype=np.float32)[np.arange(8) % 2]
    path = str(root / 'faces.npz')
    pack.write_pack(path, images, labels, ['calm', 'happy'],
                    [('domain', ('calm', 'happy'))])
    return path


@pytest.mark.parametrize('make, extra', [
    (_folder_tree, []),
    (_celeba_root, ['--attrs', 'Black_Hair', 'Blond_Hair', 'Brown_Hair',
                    'Male']),
    (_pack_file, []),
])
def test_every_dataset_kind_trains(tmp_path, make, extra):
    out = str(tmp_path / 'run')
    data = make(tmp_path / 'data')
    assert train.main(TINY + ['--dataset', data, '--iterations', '2',
                              '--test-fraction', '0.25', '--out', out]
                      + extra) == 0
    assert os.path.exists(os.path.join(out, 'samples_latest.png'))
    assert len(json.load(open(os.path.join(out, 'log')))) == 1


@pytest.mark.parametrize('argv, message', [
    (['--test-fraction', '1.5'],
     'argument --test-fraction: must be more than 0 and less than 1, got '
     '1.5'),
    (['--test-fraction', '0'], 'argument --test-fraction: must be more'),
    (['--g-lr=-1e-4'], 'argument --g-lr: must be more than 0'),
    (['--d-lr', '0'], 'argument --d-lr: must be more than 0'),
    (['--lambda-gp', '-1'], 'argument --lambda-gp: must be 0 (off) or more'),
    (['--lambda-cls', 'nan'], 'argument --lambda-cls: must be a finite'),
    (['--model', 'cyclegan', '--lambda-cycle', '-10'],
     'argument --lambda-cycle: must be 0 (off) or more'),
    (['--model', 'cyclegan', '--lambda-identity', '-0.5'],
     'argument --lambda-identity'),
])
def test_impossible_rates_weights_and_fractions_are_refused(
        capsys, tmp_path, argv, message):
    err = _exit_message(capsys, TINY + argv + ['--out', str(tmp_path)])
    assert 'error: ' + message in err
    assert 'Traceback' not in err and not os.listdir(str(tmp_path))


def test_every_lambda_and_learning_rate_flag_is_checked():
    parser, _ = train.parse_args([])
    flags = [a for a in parser._actions if any(
        f.startswith('--lambda-') or f.endswith('-lr')
        for f in a.option_strings)]
    # with --lambda-mask, --lambda-mask-tv and --lambda-r1
    assert len(flags) == 12
    for action in flags:
        with pytest.raises(Exception):
            action.type('-1')


def test_batch_size_larger_than_the_training_set_is_refused(capsys,
                                                            tmp_path):
    err = _exit_message(capsys, TINY + ['--batch-size', '41', '--out',
                                        str(tmp_path / 'o')])
    assert 'error: --batch-size 41 is larger than the training ' \
        'set (40 images)' in err
    assert 'Traceback' not in err


def test_a_text_file_named_npz_is_called_what_it_is(capsys, tmp_path):
    text = tmp_path / 'notes.npz'
    text.write_text('hello, these are notes\n')
    for flag in ('--resume', '--dataset'):
        err = _exit_message(capsys, TINY + [flag, str(text), '--out',
                                            str(tmp_path / 'o')])
        assert "{} is not an .npz (zip) archive: it starts with b'hello, " \
            "these are'".format(text) in err
        assert 'pickle' not in err and 'Traceback' not in err


def test_resume_may_turn_evaluation_on(tmp_path):
    out = str(tmp_path / 'run')
    argv = TINY[:-2] + ['--snapshot-interval', '2', '--out', out]
    assert train.main(argv + ['--iterations', '2', '--eval-interval',
                              '0']) == 0
    assert train.main(argv + [
        '--iterations', '4', '--eval-interval', '2', '--n-eval', '10',
        '--classifier-iterations', '3', '--cache-dir',
        str(tmp_path / 'cache'), '--resume', 'auto']) == 0
    log = json.load(open(os.path.join(out, 'log')))
    assert [e['iteration'] for e in log] == [2, 4]
    assert 'eval/target_accuracy' in log[1]
    assert os.path.exists(os.path.join(out, 'eval_target_accuracy.png'))


def test_cyclegan_trains_at_256_px(tmp_path):
    # The paper256 preset's size, with tiny channels and one image.
    out = str(tmp_path / 'run')
    assert train.main([
        '--model', 'cyclegan', '--domains', 'smile', 'sad', '--preset',
        'tiny', '--image-size', '256', '--batch-size', '1', '--iterations',
        '1', '--n-train', '4', '--n-test', '2', '--n-samples', '1',
        '--out', out]) == 0
    assert 'snapshot_iter_1' in os.listdir(out)


def test_cyclegan_preset_with_stargan_names_model_flag(capsys, tmp_path):
    err = _exit_message(capsys, ['--preset', 'paper256', '--out',
                                 str(tmp_path)])
    assert '--preset paper256 is a CycleGAN preset' in err
    assert '--model cyclegan' in err
    assert 'Traceback' not in err


def test_ctrl_c_while_the_judge_trains_stops_the_run(tmp_path, monkeypatch,
                                                     capsys):
    import signal
    from stargan.models import classifier
    real, steps = classifier.train_classifier, []

    def train_classifier(*args, callback=None, **kwargs):
        def step(i, n):
            steps.append(i)
            if i == 2:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C
            callback(i, n)
        return real(*args, callback=step, **kwargs)
    monkeypatch.setattr(classifier, 'train_classifier', train_classifier)
    out, cache = str(tmp_path / 'run'), tmp_path / 'cache'
    train.main(TINY[:-2] + ['--iterations', '6', '--eval-interval', '2',
                            '--n-eval', '10', '--classifier-iterations',
                            '100000', '--cache-dir', str(cache), '--out',
                            out])
    assert steps == [1, 2]  # stopped right after the signal
    assert not cache.exists() or not os.listdir(str(cache))
    assert 'snapshot_iter_2' in os.listdir(out)
    printed = capsys.readouterr()
    assert 'training the evaluation classifier [' in printed.err
    assert 'Evaluation skipped: stop requested' in printed.out
