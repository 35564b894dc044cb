"""demo.py's flags: bad models and ports are one line and exit 2. The page
itself: tests/test_demo_browser.py and
tests/faceapp_tests/test_demo_server.py."""
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from faceapp import export
from stargan.models import stargan as networks
import demo


@pytest.mark.parametrize('model, words', [
    ('missing_run', ['missing_run does not exist']),
    (__file__, ['is not an .npz']),
])
def test_a_bad_model_is_one_line_and_exit_2(model, words, capsys):
    with pytest.raises(SystemExit) as e:
        demo.main(['--model', model])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    for w in words:
        assert w in err.strip().splitlines()[-1]


def test_an_empty_run_dir_is_explained(refused, tmp_path):
    line = refused(demo.main, ['--model', str(tmp_path)])
    assert str(tmp_path) in line and 'no complete snapshot' in line


def _export(tmp_path):
    """A tiny random StarGAN export of two domains; its path."""
    path = str(tmp_path / 'g.npz')
    export.export_generator(path, networks.Generator(2, conv_dim=4, n_res=1),
                            {'format_version': 1, 'model': 'stargan',
                             'image_size': 32, 'g_conv_dim': 4, 'g_res': 1,
                             'label_names': ['a', 'b'],
                             'attribute_groups': [['x', ['a', 'b']]]})
    return path


def test_a_busy_port_is_explained(refused, tmp_path):
    path = _export(tmp_path)
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        line = refused(demo.main, ['--model', path, '--port', str(port)])
    assert '--port {}'.format(port) in line and 'another port' in line


def test_bad_flags_name_themselves(refused):
    assert '--port' in refused(demo.main, ['--model', 'm', '--port', '70000'])
    assert '--batch-size' in refused(demo.main, ['--model', 'm',
                                                 '--batch-size', '0'])


def test_help_describes_the_page(capsys):
    with pytest.raises(SystemExit) as e:
        demo.main(['--help'])
    assert e.value.code == 0
    out = ' '.join(capsys.readouterr().out.split())
    for words in ('127.0.0.1', 'treat as a face crop', '--port', 'Gallery',
                  'CycleGAN'):
        assert words in out


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# 'ignored': as a background job of a shell without job control starts it
# (`demo.py &` in a script, a CI runner's nohup), SIGINT arrives ignored.
@pytest.mark.parametrize('start', [None, _ignore_sigint],
                         ids=['default', 'ignored'])
def test_ctrl_c_stops_the_server_without_a_traceback(tmp_path, start):
    path = _export(tmp_path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(
        [sys.executable, os.path.join(root, 'demo.py'), '--model', path,
         '--port', '0', '--quiet'], cwd=root, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, preexec_fn=start)
    try:
        line = proc.stdout.readline()
        url = line.split(' on ')[-1].split()[0]
        with urllib.request.urlopen(url, timeout=30) as r:
            assert b'<html' in r.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0 and 'Stopped.' in out, err
    assert 'Traceback' not in err
