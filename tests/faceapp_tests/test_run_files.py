"""The rules of a run directory: args.json, the snapshot lookup, the
generators' keys."""
import io
import json
import os

import numpy as np
import pytest

from datasets.image_files import DatasetError
from faceapp import run_files
from faceapp.snapshots import UnsafeFileError


def _snapshot(folder, iteration, torn=False):
    path = os.path.join(str(folder), 'snapshot_iter_{}'.format(iteration))
    if torn:
        with open(path, 'wb') as f:
            f.write(b'PK\x03\x04 cut short')
    else:
        with open(path, 'wb') as f:
            np.savez(f, **{run_files.GEN_PREFIXES['gen'] + 'W': np.ones(2)})
    return path


def test_options_are_written_as_before_and_read_back(tmp_path):
    opts = {'seed': 3, 'dataset': None, 'batch_size': 2}
    run_files.write_options(opts, str(tmp_path))
    path = tmp_path / run_files.ARGS_NAME
    assert path.name == 'args.json'
    # The format earlier runs have: sorted keys, two-space indent.
    assert path.read_text() == json.dumps(opts, indent=2,
                                          sort_keys=True) + '\n'
    assert run_files.read_options(str(tmp_path)) == opts
    assert os.listdir(str(tmp_path)) == ['args.json']  # nothing left over
    assert run_files.conflicting_options(str(tmp_path), opts) == []
    assert run_files.conflicting_options(
        str(tmp_path), dict(opts, batch_size=4, seed=9, gpu=0)) == [
            'batch_size: 2 -> 4', 'seed: 3 -> 9']


def test_options_filled_from_the_data_conflict_only_when_given(tmp_path):
    # args.json holds --dis-head auto and --lambda-cls as the data filled
    # them; the same command again leaves them unset.
    opts = {'seed': 3, 'dis_head': 'per-domain', 'lambda_cls': .5}
    run_files.write_options(opts, str(tmp_path))
    again = dict(opts, dis_head='auto', lambda_cls=None)
    assert run_files.conflicting_options(str(tmp_path), again) == []
    assert run_files.conflicting_options(
        str(tmp_path), dict(again, dis_head='shared', lambda_cls=1.)) == [
            "dis_head: 'per-domain' -> 'shared'", 'lambda_cls: 0.5 -> 1.0']


def test_missing_or_broken_options_are_named(tmp_path):
    with pytest.raises(DatasetError, match=(
            r'cannot read the run options .*args.json \(.*\); evaluate a '
            'snapshot inside the out dir train.py wrote, or pass --run-dir')):
        run_files.read_options(str(tmp_path))
    assert run_files.conflicting_options(str(tmp_path), {'seed': 1}) == []
    (tmp_path / 'args.json').write_text('{"seed": ')
    with pytest.raises(DatasetError, match='cannot read the run options'):
        run_files.read_options(str(tmp_path))
    assert run_files.conflicting_options(str(tmp_path), {'seed': 1}) == [
        'args.json: unreadable']


def test_the_newest_complete_snapshot_is_found_and_torn_ones_named(
        tmp_path):
    good = _snapshot(tmp_path, 2)
    _snapshot(tmp_path, 10, torn=True)
    run = str(tmp_path)
    assert run_files.has_snapshots(run)
    assert run_files.latest_snapshot(run) == good
    assert run_files.require_snapshot(run) == good
    assert run_files.describe_newest(run) == (
        'the newest snapshot is {} (iteration 2)'.format(good))
    log = io.StringIO()
    assert run_files.find_snapshot(run, log) == (good, run)
    assert log.getvalue() == 'skipped {}: not a complete zip archive (a ' \
        'torn or interrupted write?)\n'.format(
            os.path.join(run, 'snapshot_iter_10'))
    assert run_files.find_snapshot(good) == (good, run)


def test_a_run_without_a_complete_snapshot_says_so(tmp_path):
    run = str(tmp_path)
    assert not run_files.has_snapshots(run)
    assert not run_files.has_snapshots(os.path.join(run, 'missing'))
    assert run_files.describe_newest(run) == (
        'no snapshot was written yet in {}'.format(run))
    with pytest.raises(UnsafeFileError, match=(
            r'no complete snapshot_iter_\* in .*; train it first')):
        run_files.require_snapshot(run)
    with pytest.raises(UnsafeFileError, match=(
            r'holds no generator.npz and no complete snapshot_iter_\*; pass '
            'an export or a run dir of train.py')):
        run_files.find_snapshot(run)
    _snapshot(tmp_path, 4, torn=True)
    assert run_files.has_snapshots(run)  # a torn one counts here
    with pytest.raises(UnsafeFileError, match=r'snapshot_iter_\* \(1 '
                       r'damaged\); pass'):
        run_files.find_snapshot(run, io.StringIO())
    with pytest.raises(UnsafeFileError, match='nope does not exist'):
        run_files.find_snapshot(os.path.join(run, 'nope'))

