"""benchmarks.side_by_side: each picture lands unscaled at its documented
place, under a name strip, and bad input gets one message."""
import numpy
import pytest
from PIL import Image

from benchmarks import side_by_side as sbs


def _picture(w, h, seed):
    rng = numpy.random.RandomState(seed)
    return Image.fromarray(rng.randint(0, 256, (h, w, 3), dtype=numpy.uint8))


def test_panels_are_pasted_unscaled_left_to_right():
    a, b = _picture(20, 12, 0), _picture(9, 30, 1)
    out = numpy.asarray(sbs.compose([('a', a), ('b', b)]))
    top = sbs.GAP + sbs.LABEL_HEIGHT
    assert out.shape == (sbs.LABEL_HEIGHT + 30 + 2 * sbs.GAP,
                         sbs.GAP + 20 + sbs.GAP + 9 + sbs.GAP, 3)
    numpy.testing.assert_array_equal(
        out[top:top + 12, sbs.GAP:sbs.GAP + 20], numpy.asarray(a))
    x = sbs.GAP + 20 + sbs.GAP
    numpy.testing.assert_array_equal(out[top:top + 30, x:x + 9],
                                     numpy.asarray(b))
    # Below the shorter panel: background, not a stretched picture.
    assert (out[top + 12:top + 30, sbs.GAP:sbs.GAP + 20] == 255).all()


def test_each_name_is_drawn_above_its_own_panel():
    a, b = _picture(40, 10, 2), _picture(40, 10, 3)
    out = numpy.asarray(sbs.compose([('left', a), ('', b)]))
    strip = out[:sbs.GAP + sbs.LABEL_HEIGHT]
    x = sbs.GAP + 40 + sbs.GAP
    assert (strip[:, sbs.GAP:sbs.GAP + 40] < 128).any()  # the text 'left'
    assert (strip[:, x:x + 40] == 255).all()  # no name, no ink


def test_write_skips_missing_grids_and_writes_nothing_for_none(tmp_path):
    _picture(8, 8, 4).save(str(tmp_path / 'a.png'))
    out = tmp_path / 'both.png'
    shown = sbs.write([('a', str(tmp_path / 'a.png')),
                       ('gone', str(tmp_path / 'missing.png'))], str(out))
    assert shown == ['a']
    assert Image.open(str(out)).size == (8 + 2 * sbs.GAP,
                                         8 + sbs.LABEL_HEIGHT + 2 * sbs.GAP)
    none = tmp_path / 'none.png'
    assert sbs.write([('gone', str(tmp_path / 'missing.png'))],
                     str(none)) == []
    assert not none.exists()


def test_compose_refuses_no_panels():
    with pytest.raises(ValueError, match='no panels'):
        sbs.compose([])


def test_cli_names_a_missing_picture(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        sbs.main([str(tmp_path / 'o.png'), 'x=' + str(tmp_path / 'no.png')])
    assert e.value.code == 2
    assert 'no such picture: ' + str(tmp_path / 'no.png') in \
        capsys.readouterr().err


def test_cli_refuses_a_panel_without_a_name(tmp_path, capsys):
    with pytest.raises(SystemExit):
        sbs.main([str(tmp_path / 'o.png'), 'just_a_path.png'])
    assert 'expected NAME=PATH' in capsys.readouterr().err


def test_cli_reports_an_unwritable_output(tmp_path, capsys):
    _picture(8, 8, 5).save(str(tmp_path / 'a.png'))
    (tmp_path / 'file').write_text('not a folder')
    target = str(tmp_path / 'file' / 'o.png')
    assert sbs.main([target, 'a=' + str(tmp_path / 'a.png')]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and 'Traceback' not in err
