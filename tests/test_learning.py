"""A short CPU training run on synthetic faces measurably learns.

A domain classifier trained on real synthetic faces judges translated test
faces: after a few hundred StarGAN iterations it must assign them to their
*target* expression far above chance, while the untrained generator (which
leaves faces in their source expression or turns them to noise) scores near
chance.
"""
import numpy as np
import pytest

import chainer

import datasets
from stargan import classifier
from stargan import labels as label_utils
from stargan import networks
from updaters import StarGANUpdater

pytestmark = pytest.mark.slow

SIZE = 32
N_DOMAINS = len(datasets.EXPRESSIONS)


def _arrays(ds):
    xs, cs = zip(*(ds[i] for i in range(len(ds))))
    return np.stack(xs), np.stack(cs)


def _targets(c_org, rng):
    """A different random expression for every face."""
    shift = rng.randint(1, N_DOMAINS, size=len(c_org))
    return np.eye(N_DOMAINS, dtype=np.float32)[
        (c_org.argmax(1) + shift) % N_DOMAINS]


def _translate(gen, x, c):
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        return np.concatenate([gen(x[s:s + 50], c[s:s + 50]).array
                               for s in range(0, len(x), 50)])


@pytest.fixture(scope='module')
def judge():
    x, c = _arrays(datasets.SyntheticFaceDataset(600, SIZE, 'train', seed=1))
    clf = classifier.train_classifier(x, c, [N_DOMAINS], iterations=250,
                                      width=8, seed=0)
    x_test, c_test = _arrays(
        datasets.SyntheticFaceDataset(200, SIZE, 'test', seed=1))
    return clf, classifier.accuracy(clf, x_test, c_test, [N_DOMAINS])


def test_domain_classifier_learns_synthetic_expressions(judge):
    _, held_out_accuracy = judge
    assert held_out_accuracy > 0.95


def _train_stargan(iterations, seed=0):
    train = datasets.SyntheticFaceDataset(1000, SIZE, 'train', seed=seed)
    np.random.seed(seed)  # chainer's default initializers draw from here
    gen = networks.Generator(N_DOMAINS, conv_dim=16, n_res=2)
    dis = networks.Discriminator(SIZE, N_DOMAINS, conv_dim=32, n_down=4)
    opts = []
    for model in (gen, dis):
        opt = chainer.optimizers.Adam(2e-4, 0.5, 0.999)
        opt.setup(model)
        opts.append(opt)
    it = chainer.iterators.SerialIterator(train, 16)
    updater = StarGANUpdater(it, gen, dis, opts[0], opts[1], [N_DOMAINS],
                             n_critic=1, seed=seed)
    for _ in range(iterations):
        updater.update()
    return gen


def test_short_training_run_moves_faces_to_the_target_domain(judge):
    clf, _ = judge
    x, c_org = _arrays(datasets.SyntheticFaceDataset(100, SIZE, 'test'))
    c_trg = _targets(c_org, np.random.RandomState(0))

    untrained = _train_stargan(0)
    before = label_utils.accuracy(
        classifier.predict(clf, _translate(untrained, x, c_trg)), c_trg,
        [N_DOMAINS])
    trained = _train_stargan(ITERATIONS)
    after = label_utils.accuracy(
        classifier.predict(clf, _translate(trained, x, c_trg)), c_trg,
        [N_DOMAINS])
    print('target-domain accuracy: untrained {:.3f}, after {} iterations '
          '{:.3f}'.format(before, ITERATIONS, after))
    assert before < 0.4
    assert after > 0.8


ITERATIONS = 400
