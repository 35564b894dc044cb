"""StarGANUpdater on joint batches ``(image, joint label, loss mask)``."""
import numpy as np
import pytest

import chainer

from datasets.joint import JointDataset
from stargan.models import stargan as networks
from updaters import StarGANUpdater

SIZE = 16


class _Faces(chainer.dataset.DatasetMixin):
    """Random images; one exclusive label group cycling over its values."""

    def __init__(self, n, group, values, seed):
        rng = np.random.RandomState(seed)
        self.x = rng.uniform(-1, 1, (n, 3, SIZE, SIZE)).astype(np.float32)
        self.attribute_groups = [(group, tuple(values))]
        self.label_names = list(values)

    def __len__(self):
        return len(self.x)

    def label_of(self, i):
        return np.eye(len(self.label_names), dtype=np.float32)[
            i % len(self.label_names)]

    def get_example(self, i):
        return self.x[i], self.label_of(i)


def _joint():
    # Dataset A: 3 expressions; dataset B: 2 hair colours. Joint length 7.
    return JointDataset([_Faces(9, 'expression', 'nsa', 0),
                         _Faces(6, 'hair', 'xy', 1)], ['A', 'B'], seed=0)


def _make(n_critic=1, seed=0):
    joint = _joint()
    n = joint.layout.size
    np.random.seed(seed)
    gen = networks.Generator(n, conv_dim=4, n_res=1)
    dis = networks.Discriminator(SIZE, n, conv_dim=4, n_down=3)
    opts = []
    for model in (gen, dis):
        opt = chainer.optimizers.Adam(1e-3, 0.5, 0.999)
        opt.setup(model)
        opts.append(opt)
    updater = StarGANUpdater(joint.make_iterator(3, n_critic=n_critic), gen,
                             dis, opts[0], opts[1], joint.layout.group_sizes,
                             n_critic=n_critic, seed=seed, flip=True)
    reporter = chainer.Reporter()
    reporter.add_observer('gen', gen)
    reporter.add_observer('dis', dis)
    return updater, reporter, joint.layout


def _step(updater, reporter):
    obs = {}
    with reporter.scope(obs):
        updater.update()
    return {k: float(chainer.as_array(v)) for k, v in obs.items()}


def _record_generator(updater):
    """Records the label of every generator call."""
    calls, gen = [], updater.generator
    forward = gen.forward

    def recorded(x, c):
        calls.append(np.array(chainer.as_array(c)))
        return forward(x, c)
    gen.forward = recorded
    return calls


def test_joint_step_reports_every_term_finite():
    updater, reporter, _ = _make()
    for _ in range(2):
        obs = _step(updater, reporter)
        for k in ('dis/loss', 'dis/loss_cls', 'dis/acc', 'gen/loss',
                  'gen/loss_cls', 'gen/loss_rec'):
            assert np.isfinite(obs[k]), k
        assert 0 <= obs['dis/acc'] <= 1


@pytest.mark.parametrize('k', [0, 1])
def test_targets_stay_within_the_batch_dataset_and_rec_uses_the_original(k):
    updater, reporter, layout = _make()
    if k:
        _step(updater, reporter)  # batch 1 is dataset B's
    calls = _record_generator(updater)
    _step(updater, reporter)
    # D step: G(x, c_trg); G step: G(x, c_trg), then G(fake, c_org).
    c_trg, c_trg_again, c_org = calls
    np.testing.assert_array_equal(c_trg, c_trg_again)
    np.testing.assert_array_equal(layout.dataset_of(c_org), [k] * 3)
    np.testing.assert_array_equal(layout.dataset_of(c_trg), [k] * 3)
    np.testing.assert_array_equal(c_trg[:, layout.mask_slice],
                                  c_org[:, layout.mask_slice])
    np.testing.assert_array_equal(c_trg[:, layout.slices[1 - k]], 0)
    np.testing.assert_array_equal(c_trg[:, layout.slices[k]].sum(1), 1)
    assert set(np.unique(c_org[:, layout.slices[k]])) == {0., 1.}


def _cls_losses(updater, reporter, layout, rows=(), seed=0):
    """D's classification loss on reals and G's on targets for one fixed
    batch of dataset A, after scrambling the rows ``rows`` of D's
    classification head (the logits of those label positions)."""
    x, c_org, mask = updater.converter(_joint().make_iterator(3).next(),
                                       updater.input_device)
    np.testing.assert_array_equal(layout.dataset_of(c_org), [0] * 3)
    c_trg = layout.random_targets(np.random.RandomState(5), 3, 0)
    W = updater.discriminator.cls.W.array
    rows = list(rows)
    W[rows] = np.random.RandomState(seed).randn(
        *W[rows].shape).astype(np.float32)
    out = {}
    with reporter.scope(out):
        updater.dis_loss(x, c_org, c_trg, mask)
        updater.gen_loss(x, c_org, c_trg, mask)
    return float(out['dis/loss_cls'].array), float(out['gen/loss_cls'].array)


def test_other_datasets_labels_change_neither_classification_loss():
    """Batch from dataset A: the logits of B's labels (and of the mask
    vector) enter neither D's loss on reals nor G's loss on targets."""
    updater, reporter, layout = _make()
    other = range(layout.slices[1].start, layout.size)
    base = _cls_losses(updater, reporter, layout)
    assert _cls_losses(updater, reporter, layout, other, seed=1) == base
    assert _cls_losses(updater, reporter, layout, other, seed=2) == base
    # ... while A's own logits do.
    own = _cls_losses(updater, reporter, layout, range(3), seed=3)
    assert own[0] != base[0] and own[1] != base[1]


def test_changing_the_other_datasets_label_values_leaves_d_loss_alone():
    updater, reporter, layout = _make()
    batch = updater.converter(_joint().make_iterator(3).next(),
                              updater.input_device)
    x, c_org, mask = batch
    c_trg = layout.random_targets(np.random.RandomState(0), 3, 0)
    garbage = c_org.copy()
    garbage[:, layout.slices[1]] = [1, 1]
    losses = []
    for c in (c_org, garbage):
        out = {}
        with reporter.scope(out):
            updater.dis_loss(x, c, c_trg, mask)
        losses.append((float(out['dis/loss_cls'].array),
                       float(out['dis/acc'])))
    assert losses[0] == losses[1]


def test_joint_training_resumes_bitwise():
    updater, reporter, _ = _make(n_critic=2)
    for _ in range(3):
        _step(updater, reporter)
    saved = {}
    updater.serialize(chainer.serializers.DictionarySerializer(saved))
    # The serializer keeps references; copy before training on.
    saved = {k: np.array(v) for k, v in saved.items()}
    for _ in range(3):
        _step(updater, reporter)
    other, other_reporter, _ = _make(n_critic=2, seed=7)
    other.serialize(chainer.serializers.NpzDeserializer(saved))
    for _ in range(3):
        _step(other, other_reporter)
    for a, b in zip(updater.generator.params(), other.generator.params()):
        np.testing.assert_array_equal(a.array, b.array)
    for a, b in zip(updater.discriminator.params(),
                    other.discriminator.params()):
        np.testing.assert_array_equal(a.array, b.array)
