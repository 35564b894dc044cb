"""benchmarks/gpu_smoke.sh (its --dry-run, as CI runs it) and the checks
it runs (benchmarks/smoke_checks.py)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from benchmarks import smoke_checks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = ['cuda', 'gpu-tests', 'train', 'train-speed', 'resume',
         'resume-equal', 'face', 'translate-cpu', 'translate-gpu',
         'translate-equal', 'bench']


def test_dry_run_runs_every_step_on_the_cpu(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, SMOKE_DIR=str(tmp_path))
    done = subprocess.run(
        ['bash', os.path.join(ROOT, 'benchmarks', 'gpu_smoke.sh'),
         '--dry-run'], cwd=str(tmp_path), env=env, capture_output=True,
        text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    passed = [line.split()[1] for line in out.splitlines()
              if line.startswith('PASS ')]
    assert passed == STEPS, out
    assert 'FAIL' not in out
    assert '--gpu -1' in out and '--preset tiny' in out
    assert 'median ' in out and 'ms per iteration' in out
    # The gpu-marked tests it selects include the CPU comparisons.
    assert 'test_one_step_with_gradient_penalty_on_gpu_matches_the_cpu' in out
    assert (tmp_path / 'resumed' / 'snapshot_iter_20').exists()


def _snapshot(path, **arrays):
    np.savez(str(path), **{'updater/model:' + k: v
                           for k, v in arrays.items()})
    return str(path)


def test_snapshots_pass_only_when_bitwise_equal_unless_a_tolerance(tmp_path):
    w = np.linspace(-1, 1, 12, dtype=np.float32)
    a = _snapshot(tmp_path / 'a.npz', W=w, b=np.zeros(3, np.float32))
    same = _snapshot(tmp_path / 'same.npz', W=w.copy(),
                     b=np.zeros(3, np.float32))
    w2 = w.copy()
    w2[5] = np.nextafter(w2[5], np.float32(2))  # one unit in the last place
    off = _snapshot(tmp_path / 'off.npz', W=w2, b=np.zeros(3, np.float32))
    assert smoke_checks.main(['snapshots', a, same]) == 0
    assert smoke_checks.main(['snapshots', a, off]) == 1
    assert smoke_checks.main(['snapshots', a, off, '--atol', '1e-6']) == 0
    fewer = _snapshot(tmp_path / 'fewer.npz', W=w)
    assert smoke_checks.main(['snapshots', a, fewer]) == 1


def _image(folder, value):
    os.makedirs(str(folder), exist_ok=True)
    rgb = np.full((8, 8, 3), 100, np.uint8)
    rgb[3, 4, 1] = value
    Image.fromarray(rgb).save(str(folder / 'face.png'))
    return str(folder)


@pytest.mark.parametrize('value, code', [(100, 0), (102, 0), (103, 1),
                                         (97, 1)])
def test_images_allow_two_of_255(tmp_path, value, code):
    cpu = _image(tmp_path / 'cpu', 100)
    gpu = _image(tmp_path / 'gpu', value)
    assert smoke_checks.main(['images', cpu, gpu, '--max-diff', '2']) == code


def test_images_fail_when_one_is_missing_or_none_written(tmp_path, capsys):
    cpu = _image(tmp_path / 'cpu', 100)
    (tmp_path / 'gpu').mkdir()
    assert smoke_checks.main(['images', cpu, str(tmp_path / 'gpu')]) == 1
    assert smoke_checks.main(['images', str(tmp_path / 'gpu'), cpu]) == 1
    assert capsys.readouterr().out.count('FAIL') == 2


def test_median_ms_per_iteration_from_a_log(tmp_path, capsys):
    # Entries every 10 iterations; the intervals between them take 5 s
    # (warm-up), 0.2 s, 0.3 s and 0.25 s.
    times = np.cumsum([1, 5, 0.2, 0.3, 0.25])
    log = tmp_path / 'log'
    log.write_text(json.dumps([{'iteration': 10 * (i + 1),
                                'elapsed_time': float(t)}
                               for i, t in enumerate(times)]))
    ms, n = smoke_checks.median_ms(str(log))
    assert n == 4 and ms == pytest.approx(27.5)
    log.write_text(json.dumps([{'iteration': 10, 'elapsed_time': 1.0}]))
    assert smoke_checks.main(['median-ms', str(log)]) == 1
    assert 'needs two or more log entries' in capsys.readouterr().out


def test_a_failing_step_fails_the_script(tmp_path):
    env = dict(os.environ, PYTHON='false', SMOKE_DIR=str(tmp_path))
    done = subprocess.run(
        ['bash', os.path.join(ROOT, 'benchmarks', 'gpu_smoke.sh'),
         '--dry-run'], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert 'FAIL cuda' in done.stdout and 'PASS' not in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith('FAIL: cuda ')
