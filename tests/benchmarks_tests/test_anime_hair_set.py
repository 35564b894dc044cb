import os

import pytest

from benchmarks import anime_hair_set


def _collection(root, tags, missing=()):
    faces = root / 'data' / 'faces'
    faces.mkdir(parents=True)
    for number in tags:
        if number not in missing:
            (faces / '{}.jpg'.format(number)).write_bytes(b'jpeg')
    (root / 'train_tag_dict.txt').write_text(repr(tags))
    return root


@pytest.mark.parametrize('caption,colour', [
    ('red short hair and blue eyes', 'red'),
    ('blonde long hair and purple eyes', 'blonde'),
    ('blue hair', 'blue'),
    ('short hair', None),                    # no colour
    ('bicolored eyes', None),
    ('pink hair and red hair', None),        # two colours
    ('blue eyes', None),                     # an eye colour is no hair colour
])
def test_one_named_hair_colour_or_none(caption, colour):
    assert anime_hair_set.hair_colour(caption) == colour


def test_faces_are_linked_per_colour_first_by_number(tmp_path, capsys):
    tags = {10: 'red hair', 2: 'red long hair', 3: 'blue hair', 4: 'red hair',
            5: 'red hair and blue hair', 6: 'green hair', 7: 'red hair'}
    src = _collection(tmp_path / 'src', tags, missing={4})
    out = tmp_path / 'out'
    assert anime_hair_set.main([str(src), str(out), '--colours', 'red',
                                'blue', '--per-domain', '2']) == 0
    assert sorted(os.listdir(out / 'red')) == ['2.jpg', '7.jpg']
    assert os.listdir(out / 'blue') == ['3.jpg']
    link = out / 'red' / '2.jpg'
    assert os.path.islink(link) and os.path.samefile(
        link, src / 'data' / 'faces' / '2.jpg')
    assert 'red' in capsys.readouterr().out


def test_bad_input_is_one_message(tmp_path, capsys):
    src = _collection(tmp_path / 'src', {1: 'red hair'})
    with pytest.raises(SystemExit) as e:
        anime_hair_set.main([str(tmp_path / 'nowhere'), str(tmp_path / 'o')])
    assert e.value.code == 2 and 'train_tag_dict.txt' in \
        capsys.readouterr().err
    (src / 'train_tag_dict.txt').write_text('__import__("os").system("x")')
    with pytest.raises(SystemExit) as e:
        anime_hair_set.main([str(src), str(tmp_path / 'o')])
    err = capsys.readouterr().err
    assert e.value.code == 2 and 'dict literal' in err
    assert 'Traceback' not in err and not (tmp_path / 'o').exists()
    with pytest.raises(SystemExit):
        anime_hair_set.main([str(src), str(src)])
    assert 'exists' in capsys.readouterr().err
