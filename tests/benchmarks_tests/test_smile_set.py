"""benchmarks.smile_set: the first pictures of each folder by name,
linked into a folder per domain; bad input gets one message."""
import os

import pytest

from benchmarks import smile_set


def _repo(root, positives=('3.jpg', '10.jpg', '2.jpg'),
          negatives=('7.jpg', '1.jpg')):
    for (_, sub), names in zip(smile_set.SOURCES, (positives, negatives)):
        folder = root / sub
        folder.mkdir(parents=True)
        for name in names:
            (folder / name).write_bytes(name.encode())
        (folder / 'notes.txt').write_text('not a picture')
    return root


def test_links_the_first_pictures_by_name(tmp_path, capsys):
    src, out = _repo(tmp_path / 'repo'), tmp_path / 'smile'
    assert smile_set.main([str(src), str(out), '--per-domain', '2']) == 0
    # By file name, as the repository lists them: '10' before '2'.
    assert sorted(os.listdir(str(out / 'smile'))) == ['10.jpg', '2.jpg']
    assert sorted(os.listdir(str(out / 'neutral'))) == ['1.jpg', '7.jpg']
    link = out / 'smile' / '10.jpg'
    assert link.is_symlink() and link.read_bytes() == b'10.jpg'
    assert 'smile' in capsys.readouterr().out


def test_bad_input_gets_one_message(tmp_path, refused):
    src = _repo(tmp_path / 'repo')
    assert 'must hold' in refused(smile_set.main, [str(tmp_path),
                                                   str(tmp_path / 'o')])
    (tmp_path / 'taken').mkdir()
    assert 'exists' in refused(smile_set.main, [str(src),
                                                str(tmp_path / 'taken')])
    assert '--per-domain' in refused(smile_set.main, [
        str(src), str(tmp_path / 'o'), '--per-domain', '0'])


@pytest.mark.parametrize('n', [1, 5])
def test_never_more_than_asked_or_there(tmp_path, n):
    chosen = smile_set.choose(str(_repo(tmp_path / 'repo')), n)
    assert [len(chosen[d]) for d, _ in smile_set.SOURCES] == [min(n, 3),
                                                             min(n, 2)]
