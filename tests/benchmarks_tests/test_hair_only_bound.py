"""benchmarks.hair_only_bound: real faces drawn with the sources' eye
colours, against the floor."""
import os

import numpy as np
from PIL import Image
import pytest

from benchmarks import hair_only_bound
import train


def test_eye_colours_are_read_from_captions():
    assert hair_only_bound.eye_colour('red short hair and blue eyes') == \
        'blue'
    assert hair_only_bound.eye_colour('bicolored eyes') == 'bicolored'
    assert hair_only_bound.eye_colour('blonde hair') == 'unnamed'


def test_matched_rows_follow_the_wanted_distribution():
    rng = np.random.RandomState(0)
    pool = ['blue'] * 1000 + ['red'] * 1000 + ['green'] * 500
    rows = hair_only_bound.matched_rows(pool, ['blue'] * 3 + ['red'], 400,
                                        rng)
    drawn = np.asarray(pool)[rows]
    assert len(set(rows)) == 400 and 'green' not in drawn
    # A weighted draw without replacement of 400 of 2000 rows: the share of
    # blue is 0.75 up to sampling noise (its standard deviation is ~0.02).
    assert abs(np.mean(drawn == 'blue') - 0.75) < 0.08
    only = hair_only_bound.matched_rows(pool, ['green'], 50, rng)
    assert set(np.asarray(pool)[only]) == {'green'}


def _features(rng, domains, eyes, eye_shift):
    """Features that move with the domain and, by ``eye_shift``, with the
    eye colour."""
    f = rng.randn(len(domains), 4)
    f[:, 0] += 3 * domains
    f[:, 1] += eye_shift * (eyes == 'own')
    return f


@pytest.mark.parametrize('eye_shift, low, high', [(0., 0.5, 1.6),
                                                  (3., 3., np.inf)])
def test_the_bound_rises_only_when_the_eyes_show_in_the_features(
        eye_shift, low, high):
    # Two domains: half the faces of domain 1 have "own" eyes, none of
    # domain 0's, so translations into 1 would keep the "other" eyes.
    rng = np.random.RandomState(1)

    def split(n):
        d = np.repeat([0, 1], n)
        e = np.where((d == 1) & (np.arange(2 * n) % 2 == 0), 'own', 'other')
        return _features(rng, d, e, eye_shift), d, e
    result = hair_only_bound.bound(*split(800), *split(100))
    _, floor, ratio = result[1]
    assert floor > 0 and low < ratio < high


def _folder(root, names):
    for k, domain in enumerate(('black', 'red')):
        os.makedirs(os.path.join(root, domain))
        for i in range(12):
            colour = (30, 30, 30) if k == 0 else (200, 40, 40)
            img = np.full((32, 32, 3), colour, np.uint8)
            img[8:12, 8 + i:12 + i] = 255
            Image.fromarray(img).save(os.path.join(
                root, domain, '{}.jpg'.format(names[k] + i)))


def test_the_script_prints_a_row_per_colour_and_overall(tmp_path, capsys):
    data, out = str(tmp_path / 'faces'), str(tmp_path / 'run')
    _folder(data, (100, 200))
    captions = tmp_path / 'tags.txt'
    captions.write_text(repr(
        {**{100 + i: 'black hair and {} eyes'.format(
            ('blue', 'red')[i % 2]) for i in range(12)},
         **{200 + i: 'red hair and red eyes' for i in range(12)}}))
    assert train.main(['--dataset', data, '--preset', 'tiny', '--iterations',
                       '1', '--eval-interval', '0', '--n-samples', '2',
                       '--test-fraction', '0.25', '--out', out]) == 0
    capsys.readouterr()
    assert hair_only_bound.main([out, str(captions), '--n-test', '6',
                                 '--classifier-iterations', '5',
                                 '--cache-dir', str(tmp_path / 'c')]) == 0
    rows = [line.split('|')[1].strip() for line in
            capsys.readouterr().out.splitlines()[2:]]
    assert rows == ['black', 'red', 'all']


def test_a_missing_caption_file_is_one_line(tmp_path, capsys):
    (tmp_path / 'args.json').write_text('{}')
    with pytest.raises(SystemExit) as e:
        hair_only_bound.main([str(tmp_path), str(tmp_path / 'none.txt')])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert 'none.txt' in err and 'Traceback' not in err
