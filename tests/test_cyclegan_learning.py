"""A short CycleGAN run through train.py moves one synthetic domain
towards the other.

``train.main --model cyclegan`` learns blond <-> blue hair on the synthetic
faces; the judging classifier (trained on the real training images, as
evaluate.py trains it) must put more held-out translations in their target
colour than for an untrained pair of generators of the same shape.
"""
import chainer
import numpy as np
import pytest

import train
from faceapp import compare_models
from faceapp import cyclegan_wiring
from faceapp import run_files
from faceapp import runs
from faceapp import scoring

pytestmark = pytest.mark.slow

DOMAINS = ('blond', 'blue')
OPTIONS = ['--model', 'cyclegan', '--dataset', 'synthetic:hair',
           '--domains', *DOMAINS, '--preset', 'tiny', '--n-train', '300',
           '--n-test', '50', '--n-samples', '2', '--iterations', '100']
N_TEST = 40


def _untrained(opts):
    """The pair train.py starts from, as a model description."""
    np.random.seed(opts['seed'])
    models = cyclegan_wiring.make_models(opts)
    gens = {DOMAINS: models['gen_ab'], DOMAINS[::-1]: models['gen_ba']}

    def translate(x, c, names, src, trg):
        with chainer.using_config('train', False), \
                chainer.no_backprop_mode():
            return gens[(src, trg)](x).array
    return dict(translate=translate, trained_on=list(DOMAINS))


def test_a_short_cyclegan_run_moves_faces_to_the_other_domain(tmp_path):
    out = str(tmp_path / 'run')
    assert train.main(OPTIONS + ['--out', out]) == 0
    opts = run_files.read_options(out)
    train_set, test_set = runs.make_datasets(opts)
    judge = scoring.JudgeOptions(str(tmp_path / 'cache'), 300)
    cpu = chainer.get_device('@numpy')

    def score(model):
        return scoring.score_pairwise(model, train_set, test_set, N_TEST,
                                      ['target_accuracy'], judge,
                                      cpu)[0]

    trained = score(compare_models.load_cyclegan([out], cpu))
    untrained = score(_untrained(opts))
    print('target accuracy: trained {:.3f} ({}), untrained {:.3f} (judge '
          '{:.3f})'.format(
              trained['target_accuracy'], {
                  d: round(v['target_accuracy'], 3)
                  for d, v in trained['per_direction'].items()},
              untrained['target_accuracy'],
              trained['classifier_accuracy_real']))
    assert trained['classifier_accuracy_real'] > 0.9
    assert trained['target_accuracy'] > untrained['target_accuracy'] + 0.3
    for direction in trained['per_direction'].values():
        assert direction['target_accuracy'] > untrained['target_accuracy']
