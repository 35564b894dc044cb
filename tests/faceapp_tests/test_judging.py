"""The judge of the evaluation: stop requests, progress, its warning."""
import os

import pytest

import datasets
from extensions import evaluation
from faceapp import judging


def test_judge_training_stops_at_a_stop_request_and_shows_progress(
        tmp_path, capsys):
    train = datasets.SyntheticFaceDataset(20, 32, 'train', 0)
    test = datasets.SyntheticFaceDataset(10, 32, 'test', 0)
    asked = []

    def should_stop():
        asked.append(True)
        return len(asked) >= 3
    get = judging.judge_for(train, test, 10, str(tmp_path), 10 ** 6, 0,
                            '@numpy', should_stop)
    with pytest.raises(evaluation.JudgeStopped, match='step 3/1000000'):
        get()
    assert len(asked) == 3  # checked after every step, stopped at once
    assert os.listdir(str(tmp_path)) == []  # nothing cached
    err = capsys.readouterr().err
    assert 'training the evaluation classifier [' in err
    assert '1/1000000' in err


def test_judge_reports_its_accuracy_and_a_warning_near_chance(
        tmp_path, capsys):
    train = datasets.SyntheticFaceDataset(20, 32, 'train', 0)
    test = datasets.SyntheticFaceDataset(10, 32, 'test', 0)
    clf, acc = judging.judge_for(train, test, 10, None, 2, 0,
                                 '@numpy')()
    assert 0 <= acc <= 1 and clf is not None
    out = capsys.readouterr().out
    assert 'Judge accuracy on real test images: {:.3f}'.format(acc) in out
    assert (judging.judge_warning(acc, [5]) is None) == (
        'below 1.5x chance' not in out)


def test_judge_warning_compares_with_chance():
    warning = judging.judge_warning(0.1, [5])
    assert warning.startswith('warning: judge accuracy 10.0%')
    assert '1.5x chance (30.0%, chance 20.0%)' in warning
    assert judging.judge_warning(0.29, [5]) is not None
    assert judging.judge_warning(0.31, [5]) is None
    # Binary attributes: chance 1/2, so 75% is needed.
    assert judging.judge_warning(0.7, [1, 1]) is not None
    assert judging.judge_warning(0.8, [1, 1]) is None
