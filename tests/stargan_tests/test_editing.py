import numpy as np
import pytest

from stargan import editing
from stargan.labels import specs as label_specs

EXPRESSIONS = ['neutral', 'smile', 'sad']
MULTI = [['hair', ['Black_Hair', 'Blond_Hair', 'Brown_Hair']],
         ['Male', ['Male']], ['Young', ['Young']]]


def test_single_label_domain_names_are_one_hot():
    layout = label_specs.LabelLayout([['expression', EXPRESSIONS]])
    assert not layout.multi_label and len(layout) == 3
    np.testing.assert_array_equal(layout.parse(['smile']), [0, 1, 0])
    np.testing.assert_array_equal(layout.parse(['expression=sad']),
                                  [0, 0, 1])
    captions = [n for n, _ in layout.all_targets(layout.default())]
    assert captions == EXPRESSIONS


def test_multi_label_pairs_clear_the_rest_of_an_exclusive_group():
    layout = label_specs.LabelLayout(MULTI)
    base = layout.parse(['Black_Hair', 'Male=1', 'Young=1'])
    np.testing.assert_array_equal(base, [1, 0, 0, 1, 1])
    np.testing.assert_array_equal(
        layout.parse(['Blond_Hair=1', 'Male=0'], base), [0, 1, 0, 0, 1])
    np.testing.assert_array_equal(layout.parse(['hair=Brown_Hair'], base),
                                  [0, 0, 1, 1, 1])
    np.testing.assert_allclose(layout.parse(['Young=0.5'], base),
                               [1, 0, 0, 1, .5])
    # Without a base: binary attributes 0, exclusive groups their first.
    np.testing.assert_array_equal(layout.parse(['Male']), [1, 0, 0, 1, 0])


def test_multi_label_grid_flips_binaries_and_sets_each_value():
    layout = label_specs.LabelLayout(MULTI)
    targets = layout.all_targets(np.array([1, 0, 0, 1, 0], np.float32))
    assert [n for n, _ in targets] == ['Black_Hair', 'Blond_Hair',
                                       'Brown_Hair', '-Male', '+Young']
    np.testing.assert_array_equal(targets[1][1], [0, 1, 0, 1, 0])
    np.testing.assert_array_equal(targets[3][1], [1, 0, 0, 0, 0])


@pytest.mark.parametrize('tokens, match', [
    (['happy'], "'happy' is not a label.*Black_Hair, Blond_Hair"),
    (['Blond_Hair=0.5'], 'exclusive group'),
    (['Black_Hair=0'], "group 'hair' needs exactly one value"),
    (['Male=2'], r'\[0, 1\]'),
    (['Male=yes'], 'number'),
    (['hair=Male'], "not a value of group 'hair'"),
    ([], 'no label given'),
    (['Black_Hair', 'hair=Blond_Hair'], "'Black_Hair' and 'Blond_Hair' are "
     "both values of the exclusive group 'hair'; give only one of "
     "Black_Hair, Blond_Hair, Brown_Hair"),
    (['Blond_Hair=1', 'Male', 'Brown_Hair=1'], "'Blond_Hair' and "
     "'Brown_Hair' are both"),
])
def test_bad_specs_say_what_is_valid(tokens, match):
    with pytest.raises(ValueError, match=match):
        label_specs.LabelLayout(MULTI).parse(tokens)


def test_interpolation_has_exact_ends_and_even_steps():
    src, dst = np.array([1, 0, 0], np.float32), np.array([0, 1, 0],
                                                         np.float32)
    out = label_specs.interpolate_labels(src, dst, 5)
    assert out.shape == (5, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0], src)
    np.testing.assert_array_equal(out[-1], dst)
    np.testing.assert_allclose(out[:, 1], [0, .25, .5, .75, 1])
    with pytest.raises(ValueError):
        label_specs.interpolate_labels(src, dst, 1)


def test_feather_widths_skip_sides_on_the_picture_border():
    assert editing.feather_widths((10, 0, 50, 40), 100, 40, .25) == (
        10, 0, 10, 0)
    assert editing.feather_widths((-5, 20, 35, 60), 30, 100, .1) == (
        0, 4, 0, 4)


def test_feather_mask_is_one_inside_and_fades_outwards():
    m = editing.feather_mask(20, 30, (4, 0, 4, 6))
    assert m.shape == (20, 30) and m.dtype == np.float32
    assert np.all(m > 0) and np.all(m <= 1)
    np.testing.assert_array_equal(m[4:16, :24], 1)
    assert np.all(np.diff(m[:5, 10]) > 0)      # rises from the top
    assert np.all(np.diff(m[10, 23:]) < 0)     # falls to the right
    np.testing.assert_array_equal(m[10, 0], 1)  # hard left side


def test_paste_changes_only_the_box_and_blends_in_the_band():
    rng = np.random.RandomState(0)
    picture = rng.randint(0, 256, (40, 50, 3)).astype(np.uint8)
    patch = rng.randint(0, 256, (20, 20, 3)).astype(np.uint8)
    box = (30, -5, 50, 15)  # reaches past the bottom and left borders
    mask = editing.feather_mask(20, 20, (5, 0, 0, 5))
    out = editing.paste(picture, patch, box, mask)
    outside = np.ones((40, 50), bool)
    outside[30:40, 0:15] = False
    np.testing.assert_array_equal(out[outside], picture[outside])
    np.testing.assert_array_equal(out[36:40, 0:10], patch[6:10, 5:15])
    band = out[30:33, 0:10].astype(int)
    lo = np.minimum(picture[30:33, 0:10], patch[0:3, 5:15])
    hi = np.maximum(picture[30:33, 0:10], patch[0:3, 5:15])
    assert np.all(band >= lo) and np.all(band <= hi)
    assert np.any((band > lo) & (band < hi))


def test_one_value_of_a_group_may_be_named_again_or_others_zeroed():
    layout = label_specs.LabelLayout(MULTI)
    np.testing.assert_array_equal(
        layout.parse(['Blond_Hair', 'hair=Blond_Hair', 'Black_Hair=0']),
        [0, 1, 0, 0, 0])
