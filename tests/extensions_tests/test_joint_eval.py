"""Joint evaluation and the joint data wiring of a run."""
import numpy as np
import pytest

import datasets
from datasets.folder import DatasetError
from datasets.joint import JointDataset
from extensions import joint_eval
from faceapp import runs
from faceapp import stargan_wiring

OPTS = dict(image_size=32, n_train=12, n_test=6, seed=3,
            attributes=['expression'], test_fraction=0.1)


def test_specs_open_synthetic_faces_with_their_label_groups():
    train, test = runs.make_datasets(dict(OPTS, dataset='synthetic:hair'))
    assert [g for g, _ in train.attribute_groups] == ['hair']
    assert len(train) == 12 and len(test) == 6
    with pytest.raises(DatasetError, match='synthetic:hat'):
        runs.make_datasets(dict(OPTS, dataset='synthetic:hat'))


def test_several_specs_make_joint_datasets_of_different_people():
    opts = dict(OPTS, dataset=['synthetic:expression', 'synthetic:hair'],
                joint_ratio=[2, 1])
    train, test = runs.make_datasets(opts)
    assert isinstance(train, JointDataset) and train.ratio == (2., 1.)
    assert len(train[0]) == 3 and len(test[0]) == 2  # masks for training
    assert train.names == ['synthetic-expression', 'synthetic-hair']
    a, b = train.datasets
    assert not np.array_equal(a[0][0], b[0][0])
    assert runs.is_joint(opts) and not runs.uses_photos(opts)
    assert runs.uses_photos(dict(opts, dataset=['synthetic', 'photos/']))


def test_own_label_generator_places_labels_and_mask():
    train, _ = runs.make_datasets(
        dict(OPTS, dataset=['synthetic:expression', 'synthetic:hair']))
    seen = []
    gen = joint_eval.own_label_generator(
        lambda x, c: seen.append(c) or x, train.layout, 1)
    c_hair = np.eye(5, dtype=np.float32)[[2, 4]]
    gen(np.zeros((2, 3, 32, 32), np.float32), c_hair)
    np.testing.assert_array_equal(seen[0], train.layout.embed(1, c_hair))


def test_sample_rows_come_from_every_dataset():
    _, test = runs.make_datasets(
        dict(OPTS, dataset=['synthetic:expression', 'synthetic:hair']))
    x, c = stargan_wiring.sample_inputs(test, 5, seed=0)
    assert x.shape == (5, 3, 32, 32) and c.shape == (5, test.layout.size)
    assert list(test.layout.dataset_of(c)) == [0, 0, 0, 1, 1]


def test_single_spec_is_the_default_synthetic_data():
    train, _ = runs.make_datasets(dict(OPTS, dataset=None))
    same, _ = runs.make_datasets(dict(OPTS, dataset='synthetic'))
    assert isinstance(train, datasets.SyntheticFaceDataset)
    np.testing.assert_array_equal(train[3][0], same[3][0])
