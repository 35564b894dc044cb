"""Metrics on translators with known answers."""
import numpy as np
import pytest

import chainer

import datasets
from extensions import evaluation
from stargan import metrics


class RenderTranslator(object):
    """The perfect translator: looks each input up and re-renders it."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.index = {dataset[i][0].tobytes(): i for i in range(len(dataset))}

    def __call__(self, x, c):
        out = []
        for img, label in zip(x, c):
            key = img.tobytes()
            # Re-rendered outputs are looked up again on the way back.
            i = self.index[key]
            out.append(self.dataset.render_label(i, label))
            self.index.setdefault(out[-1].tobytes(), i)
        return chainer.Variable(np.stack(out))

    def ground_truth(self, rows, labels):
        return np.stack([self.dataset.render_label(i, c)
                         for i, c in zip(rows, labels)])


def _identity(x, c):
    return chainer.Variable(x.copy())


@pytest.fixture(scope='module')
def test_set():
    ds = datasets.SyntheticFaceDataset(60, 32, 'test', seed=2)
    x, c = evaluation.dataset_arrays(ds)
    return ds, x, c


def _data(judge, gen, x, c, ground_truth=None):
    clf, _ = judge
    return evaluation.make_eval_data(gen, clf, x, c, [5],
                                     list(datasets.EXPRESSIONS),
                                     ground_truth=ground_truth)


def test_the_judge_learns_synthetic_domains(synthetic_judge):
    assert synthetic_judge[1] > 0.95


def test_perfect_translator_scores_near_perfect(synthetic_judge, test_set):
    ds, x, c = test_set
    gen = RenderTranslator(ds)
    result = metrics.compute(_data(synthetic_judge, gen, x, c,
                                   gen.ground_truth))
    assert result['target_accuracy'] > 0.95
    assert result['ground_truth_psnr'] == 100  # identical renderings
    assert result['ground_truth_l1'] == 0
    assert result['reconstruction_l1'] == 0
    table = result['target_accuracy_table']
    assert set(table) == set(datasets.EXPRESSIONS)
    assert all(src not in row for src, row in table.items())


def test_identity_map_stays_in_the_source_domain(synthetic_judge, test_set):
    _, x, c = test_set
    result = metrics.compute(_data(synthetic_judge, _identity, x, c))
    assert result['target_accuracy'] < 0.1
    assert result['reconstruction_l1'] == 0
    assert 'ground_truth' in result['skipped']


def test_feature_distances_rank_translators(synthetic_judge, test_set):
    ds, x, c = test_set
    good = metrics.compute(_data(synthetic_judge, RenderTranslator(ds), x,
                                 c), ['feature_distances'])
    noise = metrics.compute(_data(
        synthetic_judge,
        lambda v, _: chainer.Variable(np.tanh(
            np.random.RandomState(0).randn(*v.shape)).astype(np.float32)),
        x, c), ['feature_distances'])
    assert good['frechet_distance'] < noise['frechet_distance'] / 5
    assert good['kernel_distance'] < noise['kernel_distance'] / 5


def test_unknown_metric_is_named():
    with pytest.raises(ValueError, match='nope'):
        metrics.compute(None, ['nope'])
