"""Which test images the evaluation takes: every domain gets its share."""
import numpy

import datasets
from extensions import evaluation
from faceapp import scoring


class SortedByDomain(object):
    """A folder-like dataset: ``per`` images of domain 0, then of 1, ..."""

    def __init__(self, n_domains, per):
        self.n_domains, self.per = n_domains, per

    def __len__(self):
        return self.n_domains * self.per

    def __getitem__(self, i):
        label = numpy.zeros(self.n_domains, numpy.float32)
        label[i // self.per] = 1
        return numpy.full((3, 4, 4), i, numpy.float32), label


def test_a_limit_takes_every_domain_equally():
    ds = SortedByDomain(5, 100)
    x, c = evaluation.dataset_arrays(ds, 200)
    assert x.shape == (200, 3, 4, 4)
    numpy.testing.assert_array_equal(c.sum(axis=0), [40] * 5)
    # The rows are distinct dataset rows, in order.
    rows = x[:, 0, 0, 0]
    assert (numpy.diff(rows) > 0).all()


def test_no_limit_or_a_large_one_takes_everything_in_order():
    ds = SortedByDomain(3, 4)
    for limit in (None, 12, 50):
        x, _ = evaluation.dataset_arrays(ds, limit)
        numpy.testing.assert_array_equal(x[:, 0, 0, 0], numpy.arange(12))


def test_ground_truth_follows_the_evaluated_rows():
    test = datasets.SyntheticFaceDataset(30, size=32, seed=5)
    rows = evaluation.dataset_rows(test, 7)
    assert rows[-1] > 6  # spread, not the first seven
    truth = scoring.ground_truth(test, 7)
    label = numpy.eye(len(test.label_names), dtype=numpy.float32)[[1, 2]]
    got = truth(numpy.array([0, 5]), label)
    want = numpy.stack([test.render_label(int(rows[0]), label[0]),
                        test.render_label(int(rows[5]), label[1])])
    numpy.testing.assert_array_equal(got, want)
    x, _ = evaluation.dataset_arrays(test, 7)
    numpy.testing.assert_array_equal(x[5], test[int(rows[5])][0])
