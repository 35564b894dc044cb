"""benchmarks.identity_baseline: the identity map judged on a run's data."""
import json
import os

import numpy as np
import pytest

from benchmarks import identity_baseline
import train

TINY = ['--preset', 'tiny', '--n-train', '30', '--n-test', '10',
        '--n-samples', '2', '--eval-interval', '0', '--n-critic', '1',
        '--iterations', '1']


def test_the_identity_map_returns_its_input():
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 4, 4)).astype(
        np.float32)
    np.testing.assert_array_equal(identity_baseline.identity(x, None).array,
                                  x)


def test_the_baseline_scores_an_unchanged_face(tmp_path, capsys):
    out = str(tmp_path / 'run')
    assert train.main(TINY + ['--out', out]) == 0
    capsys.readouterr()
    assert identity_baseline.main([
        out, '--n-test', '10', '--classifier-iterations', '30',
        '--cache-dir', str(tmp_path / 'cache')]) == 0
    printed = capsys.readouterr().out
    values = dict(line.split()[:2] for line in printed.splitlines()
                  if line and line.split()[0].endswith(('_score', '_l1')))
    assert float(values['identity_score']) == 0
    # The synthetic faces draw each face in its target domain: unchanged,
    # it differs from that truth (every target differs from the source).
    assert float(values['ground_truth_l1']) > 0.01
    assert 'frechet_ratio' in printed
    with open(os.path.join(out, 'args.json')) as f:
        assert json.load(f)['iterations'] == 1  # the run is untouched


@pytest.mark.parametrize('make, why', [
    (lambda d: None, 'no args.json there'),
    (lambda d: open(os.path.join(d, 'args.json'), 'w').write(
        json.dumps({'model': 'cyclegan'})), 'not a StarGAN run')])
def test_what_is_not_a_stargan_run_gets_one_line(tmp_path, capsys, make,
                                                  why):
    make(str(tmp_path))
    with pytest.raises(SystemExit) as e:
        identity_baseline.main([str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert why in err and 'Traceback' not in err
