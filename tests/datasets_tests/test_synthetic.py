import numpy
import pytest

from datasets import (EXPRESSIONS, HAIR_COLORS, SyntheticFaceDataset,
                      render, sample_identity)

BOTH = ('expression', 'hair')


def _images(ds, n=None):
    return numpy.stack([ds.get_example(i)[0] for i in range(n or len(ds))])


def test_render_deterministic_and_uint8():
    ident = sample_identity(numpy.random.RandomState(3))
    a = render(ident, 'smile', 48)
    b = render(sample_identity(numpy.random.RandomState(3)), 'smile', 48)
    assert a.shape == (48, 48, 3) and a.dtype == numpy.uint8
    numpy.testing.assert_array_equal(a, b)


def test_dataset_deterministic_from_seed():
    a = SyntheticFaceDataset(6, seed=1)
    b = SyntheticFaceDataset(6, seed=1)
    c = SyntheticFaceDataset(6, seed=2)
    numpy.testing.assert_array_equal(_images(a), _images(b))
    assert numpy.abs(_images(a) - _images(c)).mean() > 0.05


def test_train_test_identities_differ():
    tr = SyntheticFaceDataset(20, split='train')
    te = SyntheticFaceDataset(20, split='test')
    train_ids = {tr.identity(i) for i in range(20)}
    assert not train_ids & {te.identity(i) for i in range(20)}
    assert len(train_ids) == 20


@pytest.mark.parametrize('size', [32, 64, 256])
def test_shapes_dtypes_range(size):
    ds = SyntheticFaceDataset(2, size=size, attributes=BOTH)
    img, label = ds.get_example(1)
    assert img.shape == (3, size, size) and img.dtype == numpy.float32
    assert label.shape == (10,) and label.dtype == numpy.float32
    assert -1 <= img.min() and img.max() <= 1 and img.max() - img.min() > 1


@pytest.mark.parametrize('attributes,groups', [
    (('expression',), [EXPRESSIONS]),
    (BOTH, [EXPRESSIONS, HAIR_COLORS]),
])
def test_label_structure_and_balance(attributes, groups):
    ds = SyntheticFaceDataset(50, attributes=attributes)
    assert [g for _, g in ds.attribute_groups] == groups
    assert ds.label_names == [v for g in groups for v in g]
    labels = numpy.stack([ds.label_of(i) for i in range(len(ds))])
    assert labels.dtype == numpy.float32
    assert set(numpy.unique(labels)) == {0.0, 1.0}
    offset = 0
    for g in groups:
        block = labels[:, offset:offset + len(g)]
        numpy.testing.assert_array_equal(block.sum(1), 1)
        numpy.testing.assert_array_equal(block.sum(0), len(ds) // len(g))
        offset += len(g)
    if len(groups) == 2:  # every (expression, hair) pair occurs equally
        pairs = labels[:, :5].argmax(1) * 5 + labels[:, 5:].argmax(1)
        assert numpy.bincount(pairs, minlength=25).tolist() == [2] * 25


def test_render_label_matches_example_and_translates():
    ds = SyntheticFaceDataset(10, attributes=BOTH)
    img, label = ds.get_example(7)
    numpy.testing.assert_array_equal(ds.render_label(7, label), img)
    other = numpy.zeros(10, numpy.float32)
    other[[(label[:5].argmax() + 1) % 5, 5 + (label[5:].argmax() + 2) % 5]] = 1
    out = ds.render_label(7, other)
    assert out.shape == img.shape and out.dtype == numpy.float32
    assert numpy.abs(out - img).mean() > 0.03


def test_expressions_and_identities_differ():
    rng = numpy.random.RandomState(0)
    ids = [sample_identity(rng) for _ in range(2)]
    imgs = [[render(i, e).astype(numpy.float32) for e in EXPRESSIONS]
            for i in ids]
    for k in range(5):
        for m in range(k + 1, 5):
            assert numpy.abs(imgs[0][k] - imgs[0][m]).mean() > 4, (k, m)
        assert numpy.abs(imgs[0][k] - imgs[1][k]).mean() > 10


@pytest.mark.parametrize('kwargs,word', [
    ({'attributes': ('gender',)}, 'attribute'),
    ({'size': 16}, '16'),
    ({'size': 300}, 'size'),
    ({'split': 'val'}, 'split'),
])
def test_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        SyntheticFaceDataset(5, **kwargs)


def test_bad_render_arguments():
    ident = sample_identity(numpy.random.RandomState(0))
    with pytest.raises(ValueError, match='expression'):
        render(ident, 'bored')
    with pytest.raises(ValueError, match='hair_color'):
        render(ident, 'smile', hair_color='green')
    with pytest.raises(ValueError, match='label'):
        SyntheticFaceDataset(5).render_label(0, numpy.zeros(3))


def test_expressions_linearly_separable_across_identities():
    """Ridge regression on raw 32 px pixels must generalise to new people."""
    tr = SyntheticFaceDataset(500, split='train', seed=0)
    te = SyntheticFaceDataset(200, split='test', seed=0)
    x_tr = _images(tr).reshape(len(tr), -1)
    x_te = _images(te).reshape(len(te), -1)
    y_tr = numpy.stack([tr.label_of(i) for i in range(len(tr))])
    y_te = numpy.stack([te.label_of(i) for i in range(len(te))]).argmax(1)
    mean = x_tr.mean(0)
    x_tr, x_te = x_tr - mean, x_te - mean
    # Dual (kernel) form: a 500x500 solve instead of 3072x3072.
    alpha = numpy.linalg.solve(x_tr @ x_tr.T + 10 * numpy.eye(len(x_tr)),
                               y_tr - y_tr.mean(0))
    pred = (x_te @ x_tr.T @ alpha).argmax(1)
    assert (pred == y_te).mean() > 0.9
