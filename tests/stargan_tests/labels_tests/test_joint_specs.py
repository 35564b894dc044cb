"""Label specs of joint (several-dataset) models."""
import numpy as np
import pytest

from stargan.labels.joint_specs import JointLabelLayout
from stargan.labels.joint_specs import layout_for
from stargan.labels import specs as label_specs

EXPR = [['expression', ['neutral', 'smile', 'sad']]]
CELEB = [['hair', ['black', 'blond']], ['Male', ['Male']]]


@pytest.fixture
def layout():
    return JointLabelLayout([['rafd', EXPR], ['celeba', CELEB]])


def test_a_target_sets_one_datasets_labels_and_its_mask(layout):
    # [neutral smile sad | black blond Male | is rafd, is celeba]
    np.testing.assert_array_equal(layout.parse(['smile']),
                                  [0, 1, 0, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(layout.parse(['hair=blond', 'Male=1']),
                                  [0, 0, 0, 0, 1, 1, 0, 1])


def test_unnamed_labels_come_from_a_base_of_the_same_dataset(layout):
    base = layout.parse(['blond', 'Male'])
    np.testing.assert_array_equal(layout.parse(['Male=0'], base),
                                  [0, 0, 0, 0, 1, 0, 0, 1])
    # A base of the other dataset says nothing about these labels.
    np.testing.assert_array_equal(layout.parse(['sad'], base),
                                  [0, 0, 1, 0, 0, 0, 1, 0])


def test_labels_of_two_datasets_or_unknown_labels_are_refused(layout):
    with pytest.raises(ValueError, match='not all of one dataset'):
        layout.parse(['smile', 'blond'])
    with pytest.raises(ValueError, match='dataset celeba: hair'):
        layout.parse(['glasses'])
    with pytest.raises(ValueError, match='0 or 1'):
        layout.parse(['smile=0.5'])


def test_all_targets_cover_every_dataset(layout):
    captions = [c for c, _ in layout.all_targets(layout.default())]
    assert captions == ['neutral', 'smile', 'sad', 'black', 'blond',
                        '+Male']
    vectors = np.stack([v for _, v in layout.all_targets(layout.default())])
    assert (vectors[:3, 6] == 1).all() and (vectors[3:, 7] == 1).all()
    assert (vectors[:3, 3:6] == 0).all() and (vectors[3:, :3] == 0).all()


def test_layout_for_a_config(layout):
    config = {'attribute_groups': EXPR, 'label_names': EXPR[0][1]}
    assert isinstance(layout_for(config), label_specs.LabelLayout)
    config = {'datasets': [['rafd', EXPR], ['celeba', CELEB]],
              'label_names': layout.joint.label_names,
              'attribute_groups': layout.joint.attribute_groups}
    assert layout_for(config).parse(['smile'])[1] == 1
    config['label_names'] = config['label_names'][:-1]
    with pytest.raises(ValueError, match='do not give its label_names'):
        layout_for(config)
