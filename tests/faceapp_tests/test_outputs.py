"""Output folders: the up-front check and all-or-nothing reports."""
import os

import pytest

from datasets import atomic
from faceapp import outputs


def _files(folder):
    return sorted(os.path.relpath(os.path.join(d, f), str(folder))
                  for d, _, fs in os.walk(str(folder)) for f in fs)


def test_staged_files_arrive_together_or_not_at_all(tmp_path):
    out = tmp_path / 'out'
    (out / 'sub').mkdir(parents=True)
    (out / 'a.json').write_text('old')
    (out / 'sub' / 'b.txt').write_text('kept')
    with pytest.raises(RuntimeError):
        with atomic.staged_dir(str(out)) as staging:
            with open(os.path.join(staging, 'a.json'), 'w') as f:
                f.write('new')
            raise RuntimeError('the second file failed')
    assert _files(out) == ['a.json', os.path.join('sub', 'b.txt')]
    assert (out / 'a.json').read_text() == 'old'
    with atomic.staged_dir(str(out)) as staging:
        os.mkdir(os.path.join(staging, 'sub'))
        for name in ('a.json', os.path.join('sub', 'c.txt')):
            with open(os.path.join(staging, name), 'w') as f:
                f.write('new')
    assert _files(out) == ['a.json', os.path.join('sub', 'b.txt'),
                           os.path.join('sub', 'c.txt')]
    assert (out / 'a.json').read_text() == 'new'


def test_a_failed_report_leaves_no_new_folder(tmp_path):
    with pytest.raises(outputs.OutputError, match='cannot write in'):
        with outputs.writing(str(tmp_path / 'new')):
            raise OSError(28, 'No space left on device')
    assert os.listdir(str(tmp_path)) == []


def test_the_check_creates_nothing(tmp_path):
    outputs.check_out_dir(str(tmp_path / 'a' / 'b'))
    assert os.listdir(str(tmp_path)) == []
