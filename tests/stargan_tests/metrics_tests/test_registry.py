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
    # Renderings vary as real faces do; one grey picture for every face
    # does not vary at all, and its distance is not all offset.
    assert 0.5 < good['spread_ratio'] < 2
    grey = metrics.compute(_data(
        synthetic_judge, lambda v, _: chainer.Variable(np.zeros_like(v)),
        x, c), ['feature_distances'])
    assert grey['spread_ratio'] == 0
    assert set(grey['spread_ratio_per_domain']) == set(
        grey['frechet_distance_per_domain'])
    assert 0 < grey['frechet_mean_share'] < 1


def test_unknown_metric_is_named():
    with pytest.raises(ValueError, match='nope'):
        metrics.compute(None, ['nope'])


def _with_reference(data, judge_set):
    import dataclasses
    return dataclasses.replace(data, reference=judge_set)


@pytest.fixture(scope='module')
def train_set():
    return evaluation.dataset_arrays(
        datasets.SyntheticFaceDataset(200, 32, 'train', seed=2))


def test_the_floor_reads_the_frechet_distance(synthetic_judge, test_set,
                                              train_set):
    ds, x, c = test_set
    good = metrics.compute(_with_reference(_data(
        synthetic_judge, RenderTranslator(ds), x, c), train_set),
        ['feature_distances'])
    noise = metrics.compute(_with_reference(_data(
        synthetic_judge,
        lambda v, _: chainer.Variable(np.tanh(
            np.random.RandomState(0).randn(*v.shape)).astype(np.float32)),
        x, c), train_set), ['feature_distances'])
    # The floor depends on the real images only, not on the translator.
    assert good['frechet_floor'] == noise['frechet_floor'] > 0
    assert set(good['frechet_floor_per_domain']) == set(datasets.EXPRESSIONS)
    # Renderings are real faces of the target: about the floor's level.
    print(good["frechet_ratio"], noise["frechet_ratio"])
    assert good["frechet_ratio"] < 2 < 5 < noise["frechet_ratio"]
    assert noise['frechet_ratio'] == pytest.approx(
        noise['frechet_distance'] / noise['frechet_floor'])


def test_no_floor_without_training_images(synthetic_judge, test_set):
    _, x, c = test_set
    result = metrics.compute(_data(synthetic_judge, _identity, x, c),
                             ['feature_distances'])
    assert 'frechet_floor' not in result and 'frechet_distance' in result


def test_identity_score_of_the_identity_map_is_zero(synthetic_judge,
                                                    test_set):
    ds, x, c = test_set
    same = metrics.compute(_data(synthetic_judge, _identity, x, c),
                           ['identity'])
    assert same['identity_score'] == 0
    assert set(same['identity_score_per_target']) == set(
        datasets.EXPRESSIONS)
    moved = metrics.compute(_data(synthetic_judge, RenderTranslator(ds), x,
                                  c), ['identity'])
    assert moved['identity_score'] > 0
