"""Fixtures shared across test packages."""
import pytest

import datasets
from extensions import evaluation


@pytest.fixture(scope='session')
def synthetic_judge():
    """A domain classifier trained on real 32 px synthetic faces.

    Returns:
        tuple: ``(classifier, held-out accuracy)``.
    """
    x, c = evaluation.dataset_arrays(
        datasets.SyntheticFaceDataset(1000, 32, 'train', seed=1))
    x_test, c_test = evaluation.dataset_arrays(
        datasets.SyntheticFaceDataset(200, 32, 'test', seed=1))
    return evaluation.get_classifier(x, c, [5], x_test, c_test,
                                     iterations=300, width=16, seed=0)
