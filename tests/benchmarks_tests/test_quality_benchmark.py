"""benchmarks.quality on a tiny budget: one table row per configuration,
with finite numbers, trained through train.py's code."""
import json
import math
import os

import pytest
from PIL import Image

from benchmarks import quality
from benchmarks import side_by_side

TINY = '--preset tiny --n-train 30 --n-test 15 --n-samples 2'


def _rows(text):
    """``name -> cells`` of the last Markdown table printed."""
    lines = [ln for ln in text.splitlines() if ln.startswith('| ')]
    header = lines[0].strip('| ').split(' | ')
    assert header[0] == 'configuration'
    return header[1:], {cells[0]: cells[1:] for cells in (
        ln.strip('| ').split(' | ') for ln in lines[1:])}


def _common(tmp_path):
    return ['--n-test', '15', '--classifier-iterations', '3', '--cache-dir',
            str(tmp_path / 'cache'), '--out', str(tmp_path / 'q')]


def test_a_table_row_per_configuration_with_finite_numbers(tmp_path,
                                                            capsys):
    argv = _common(tmp_path) + [
        '--iterations', '2',
        '--config', 'plain=' + TINY + ' --ema-beta 0',
        '--config', 'cyclegan=--model cyclegan --domains smile sad ' + TINY]
    assert quality.main(argv) == 0
    header, rows = _rows(capsys.readouterr().out)
    assert set(rows) == {'plain', 'cyclegan'}
    assert header == [h for h, _, _ in quality.COLUMNS]
    for name, cells in rows.items():
        assert len(cells) == len(header)
        for h, cell in zip(header, cells):
            assert math.isfinite(float(cell)), (name, h, cell)
        assert cells[header.index('iterations')] == '2'
    saved = json.load(open(str(tmp_path / 'q' / 'quality.json')))
    assert saved['cyclegan']['model'] == 'cyclegan'
    assert saved['plain']['frechet_ratio'] == pytest.approx(
        saved['plain']['frechet_distance'] / saved['plain']['frechet_floor'])
    table = open(str(tmp_path / 'q' / 'quality.md')).read()
    assert '| plain |' in table and '| cyclegan |' in table
    assert os.path.exists(str(tmp_path / 'q' / 'plain' / 'generator.npz'))
    # Both runs' last grids, side by side, at their own sizes.
    grids = [Image.open(str(tmp_path / 'q' / n / 'samples_latest.png'))
             for n in ('plain', 'cyclegan')]
    both = Image.open(str(tmp_path / 'q' / 'samples.png'))
    assert both.width == side_by_side.GAP + sum(
        g.width + side_by_side.GAP for g in grids)


def test_a_minute_budget_is_turned_into_iterations(tmp_path, capsys):
    argv = _common(tmp_path) + ['--minutes', '0.05', '--probe-iterations',
                                '3', '--config', 'tiny=' + TINY]
    assert quality.main(argv) == 0
    _, rows = _rows(capsys.readouterr().out)
    header = [h for h, _, _ in quality.COLUMNS]
    assert int(rows['tiny'][header.index('iterations')]) >= 1
    # The probe's folder is gone; only the run and the tables remain.
    assert sorted(os.listdir(str(tmp_path / 'q'))) == [
        'quality.json', 'quality.md', 'samples.png', 'tiny']


def test_bad_configurations_are_refused_in_one_line(refused, tmp_path):
    assert 'NAME=' in refused(quality.main, ['--config', 'no-equals-sign'])
    assert 'differ' in refused(quality.main, [
        '--config', 'a=', '--config', 'a=--preset tiny'])
    assert '--iterations' in refused(quality.main, ['--iterations', '0'])
    (tmp_path / 'file').write_text('')
    assert 'is a file' in refused(quality.main, ['--out', str(tmp_path /
                                                          'file')])
    assert 'evaluate.py' in refused(quality.main, [
        '--config', 'j=--dataset synthetic:hair --dataset synthetic'])


def test_a_refused_train_option_stops_with_its_code(tmp_path, capsys):
    code = quality.main(_common(tmp_path) + [
        '--iterations', '1', '--config', 'bad=--preset nonsense'])
    assert code == 2
    err = capsys.readouterr().err
    assert 'nonsense' in err and 'bad: train.py exited with code 2' in err


def test_help_names_the_module():
    with pytest.raises(SystemExit) as e:
        quality.main(['--help'])
    assert e.value.code == 0


def test_the_speed_leaves_out_the_warm_up_and_the_last_iteration(tmp_path):
    # 0.1 s per iteration in steady state; the first two entries are slow
    # (warm-up) and the last one also draws the grid and the snapshot.
    times = [5.0, 9.0] + [9.0 + 0.1 * k for k in range(1, 9)] + [30.0]
    log = [{'iteration': i + 1, 'elapsed_time': t}
           for i, t in enumerate(times)]
    path = tmp_path / 'log'
    path.write_text(json.dumps(log))
    assert quality.seconds_per_iteration(str(path)) == pytest.approx(0.1)
