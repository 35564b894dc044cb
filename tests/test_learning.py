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
from datasets.iterators import order
from stargan.labels import groups as label_utils
from stargan.models import classifier
from stargan.models import stargan as networks
from stargan import presets
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


def test_domain_classifier_learns_synthetic_expressions(synthetic_judge):
    _, held_out_accuracy = synthetic_judge
    assert held_out_accuracy > 0.95


def _train_stargan(iterations, seed=0):
    """The CPU default ('small' preset) trained for ``iterations``."""
    p = presets.get_preset('small')
    train = datasets.SyntheticFaceDataset(1000, SIZE, 'train', seed=seed)
    np.random.seed(seed)  # chainer's default initializers draw from here
    gen = networks.Generator(N_DOMAINS, p['g_conv_dim'], p['g_res'])
    dis = networks.Discriminator(SIZE, N_DOMAINS, p['d_conv_dim'],
                                 p['d_down'])
    opts = []
    for model, lr in ((gen, p['g_lr']), (dis, p['d_lr'])):
        opt = chainer.optimizers.Adam(lr, 0.5, 0.999)
        opt.setup(model)
        opts.append(opt)
    it = order.make_iterator(train, p['batch_size'], seed)
    updater = StarGANUpdater(it, gen, dis, opts[0], opts[1], [N_DOMAINS],
                             n_critic=p['n_critic'], seed=seed)
    # As train.py does: learning rates decay linearly to 0 over the second
    # half, which also settles the GAN's oscillations before measuring.
    for i in range(iterations):
        if i >= iterations // 2:
            frac = (iterations - i) / (iterations - iterations // 2)
            opts[0].alpha, opts[1].alpha = p['g_lr'] * frac, p['d_lr'] * frac
        updater.update()
    return gen


def test_short_training_run_moves_faces_to_the_target_domain(
        synthetic_judge):
    clf, _ = synthetic_judge
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
    # Measured on the 2-core CI machine: judge 0.98 on real test faces,
    # untrained 0.25, after 800 iterations 0.49 (0.65 at 400, 0.49 at 600:
    # short GAN runs oscillate, hence the margin).
    assert before < 0.3
    assert after > 0.4 and after > before + 0.15


ITERATIONS = 800
