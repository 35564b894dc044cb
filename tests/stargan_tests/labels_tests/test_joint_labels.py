import numpy as np
import pytest

import chainer

from stargan.labels import groups as labels
from stargan.labels import joint as joint_labels
from stargan.losses import stargan as losses

EXPR = [('expression', ('neutral', 'smile', 'sad'))]
CELEBA = [('hair', ('black', 'blond')), ('male', ('male',)),
          ('young', ('young',))]


def _layout():
    # A: 3 expressions; B: 2 hair colours + 2 binary attributes.
    return joint_labels.JointLayout([EXPR, CELEBA], ['rafd', 'celeba'])


def test_layout_slices_sizes_and_names():
    lay = _layout()
    assert lay.size == 3 + 4 + 2
    assert lay.slices == [slice(0, 3), slice(3, 7)]
    assert lay.mask_slice == slice(7, 9)
    assert lay.group_sizes == [3, 2, 1, 1, 2]
    assert lay.dataset_group_sizes == [[3], [2, 1, 1]]
    assert lay.label_names == ['neutral', 'smile', 'sad', 'black', 'blond',
                               'male', 'young', 'dataset=rafd',
                               'dataset=celeba']
    assert [v for _, vs in lay.attribute_groups for v in vs] \
        == lay.label_names
    assert lay.attribute_groups[-1][0] == 'dataset'
    assert len(lay.label_names) == sum(lay.group_sizes)


def test_clashing_names_are_prefixed_with_the_dataset():
    lay = joint_labels.JointLayout(
        [[('expression', ('neutral', 'smile'))],
         [('expression', ('smile', 'angry'))]], ['anime', 'photo'])
    assert lay.label_names == ['neutral', 'anime/smile', 'photo/smile',
                               'angry', 'dataset=anime', 'dataset=photo']
    assert [g for g, _ in lay.attribute_groups] == [
        'anime/expression', 'photo/expression', 'dataset']
    assert len(set(lay.label_names)) == len(lay.label_names)


def test_layout_rejects_bad_input():
    with pytest.raises(ValueError):
        joint_labels.JointLayout([EXPR, CELEBA], ['a'])
    with pytest.raises(ValueError):
        joint_labels.JointLayout([EXPR, CELEBA], ['a', 'a'])
    with pytest.raises(ValueError):
        joint_labels.JointLayout([])
    assert joint_labels.JointLayout([EXPR, EXPR]).names == [
        'dataset0', 'dataset1']


def test_embed_puts_labels_at_the_dataset_and_sets_the_mask():
    lay = _layout()
    own = np.array([[0, 1, 0], [0, 0, 1]], np.float32)
    c = lay.embed(0, own)
    assert c.dtype == np.float32 and c.shape == (2, 9)
    np.testing.assert_array_equal(c[:, :3], own)
    np.testing.assert_array_equal(c[:, 3:7], 0)  # other dataset zero
    np.testing.assert_array_equal(c[:, 7:], [[1, 0], [1, 0]])  # one-hot
    single = lay.embed(1, np.array([0, 1, 1, 0], np.float32))
    np.testing.assert_array_equal(single, [0, 0, 0, 0, 1, 1, 0, 0, 1])
    np.testing.assert_array_equal(lay.dataset_of(c), [0, 0])
    with pytest.raises(ValueError):
        lay.embed(0, np.zeros(4, np.float32))
    with pytest.raises(IndexError):
        lay.embed(2, own)


def test_loss_mask_covers_the_dataset_only():
    lay = _layout()
    np.testing.assert_array_equal(lay.loss_mask(0),
                                  [1, 1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(lay.loss_mask(1),
                                  [0, 0, 0, 1, 1, 1, 1, 0, 0])
    assert lay.loss_mask(1).dtype == np.float32


def test_random_targets_stay_within_one_dataset():
    lay = _layout()
    c = lay.random_targets(np.random.RandomState(0), 300, 1)
    assert c.shape == (300, 9) and c.dtype == np.float32
    np.testing.assert_array_equal(c[:, :3], 0)
    np.testing.assert_array_equal(c[:, 3:5].sum(1), 1)  # exclusive hair
    np.testing.assert_array_equal(c[:, 7:], np.tile([0, 1], (300, 1)))
    assert set(np.unique(c[:, 5])) == {0., 1.}
    e = lay.random_targets(np.random.RandomState(1), 300, 0)
    np.testing.assert_array_equal(e[:, :3].sum(1), 1)
    assert (e[:, :3].sum(0) > 50).all()


def test_edit_targets_reach_every_domain_of_every_dataset():
    lay = _layout()
    c = np.stack([lay.embed(0, [0, 1, 0]),            # a rafd image
                  lay.embed(1, [0, 1, 1, 0])])        # a celeba image
    cols = lay.edit_targets(c)
    # One column per label of each dataset, none for the mask positions.
    assert [j for j, _ in cols] == list(range(7))
    for j, t in cols:
        k = 0 if j < 3 else 1
        np.testing.assert_array_equal(lay.dataset_of(t), [k, k])
        np.testing.assert_array_equal(t[:, lay.slices[1 - k]], 0)
        assert (t[:, j] == 1).all() or j == 5  # 'male' is flipped
    # Expressions: one-hot whatever the source.
    np.testing.assert_array_equal(cols[2][1][:, :3], [[0, 0, 1]] * 2)
    # CelebA columns keep the celeba image's own other attributes, and start
    # the rafd image from the default (first hair colour, attributes off).
    np.testing.assert_array_equal(cols[3][1][:, 3:7], [[1, 0, 0, 0],
                                                       [1, 0, 1, 0]])
    np.testing.assert_array_equal(cols[5][1][:, 3:7], [[1, 0, 1, 0],
                                                       [0, 1, 0, 0]])
    np.testing.assert_array_equal(cols[6][1][:, 3:7], [[1, 0, 0, 1],
                                                       [0, 1, 1, 1]])


def test_masked_accuracy_counts_known_groups_only():
    lay = _layout()
    c = np.stack([lay.embed(0, [0, 1, 0]), lay.embed(1, [1, 0, 1, 0])])
    mask = np.stack([lay.loss_mask(0), lay.loss_mask(1)])
    logits = np.zeros((2, 9), np.float32)
    logits[0, 1] = 5          # expression right
    logits[0, 3:7] = 9        # garbage on unknown labels: ignored
    logits[1, 4] = 5          # hair wrong
    logits[1, 5] = 3          # male right
    logits[1, 6] = 3          # young wrong
    acc = joint_labels.masked_accuracy(logits, c, lay.group_sizes, mask)
    assert acc == pytest.approx(2 / 4)
    full = np.ones(9, np.float32)
    assert joint_labels.masked_accuracy(logits, c, lay.group_sizes, full) \
        == pytest.approx(labels.accuracy(logits, c, lay.group_sizes))


def test_classification_loss_with_a_full_mask_is_the_plain_loss():
    rng = np.random.RandomState(0)
    logits = rng.randn(6, 5).astype(np.float32)
    one_hot = np.eye(5, dtype=np.float32)[rng.randint(0, 5, 6)]
    ones = np.ones(5, np.float32)
    for sizes, c in (([5], one_hot),
                     ([3, 1, 1], labels.random_labels(rng, 6, [3, 1, 1]))):
        plain = losses.classification_loss(logits, c, sizes)
        masked = losses.classification_loss(logits, c, sizes, mask=ones)
        assert float(masked.array) == pytest.approx(float(plain.array),
                                                    rel=1e-5)


@pytest.mark.parametrize('k', [0, 1])
def test_masked_loss_is_the_datasets_own_loss(k):
    """Softmax for a lone exclusive group (rafd), sigmoid for celeba."""
    lay = _layout()
    rng = np.random.RandomState(k)
    own = labels.random_labels(rng, 4, lay.dataset_group_sizes[k])
    c = lay.embed(k, own)
    logits = rng.randn(4, 9).astype(np.float32)
    joint = losses.classification_loss(logits, c, lay.group_sizes,
                                       mask=lay.loss_mask(k))
    alone = losses.classification_loss(logits[:, lay.slices[k]], own,
                                       lay.dataset_group_sizes[k])
    assert float(joint.array) == pytest.approx(float(alone.array), rel=1e-5)


def test_masked_loss_ignores_the_other_datasets_labels_and_logits():
    lay = _layout()
    rng = np.random.RandomState(3)
    c = np.concatenate([lay.random_targets(rng, 3, 0),
                        lay.random_targets(rng, 3, 1)])
    mask = np.stack([lay.loss_mask(0)] * 3 + [lay.loss_mask(1)] * 3)
    logits = chainer.Variable(rng.randn(6, 9).astype(np.float32))
    loss = losses.classification_loss(logits, c, lay.group_sizes, mask=mask)
    loss.backward()
    np.testing.assert_array_equal(logits.grad * (1 - mask), 0)
    assert (np.abs(logits.grad * mask).sum(1) > 0).all()
    # Other datasets' labels (unknown) may be anything.
    c2 = c.copy()
    c2[:3, 3:7] = 1
    c2[3:, 0] = 1
    other = losses.classification_loss(logits, c2, lay.group_sizes,
                                       mask=mask)
    assert float(other.array) == pytest.approx(float(loss.array))
    # Per-sample: the mean of each dataset's own losses.
    per = [losses.classification_loss(logits[s], c[s], lay.group_sizes,
                                      mask=lay.loss_mask(k))
           for k, s in ((0, slice(0, 3)), (1, slice(3, 6)))]
    assert float(loss.array) == pytest.approx(
        (float(per[0].array) + float(per[1].array)) / 2, rel=1e-5)
