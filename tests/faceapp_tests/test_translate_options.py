"""faceapp.translate_options: translate.py's flags, checks and plans."""
import pytest

import demo
from faceapp import translate_options
from stargan.labels import specs as label_specs

NAMES = ['neutral', 'smile', 'sad']


def _args(*argv):
    return translate_options.build_parser('help').parse_args(
        ['--model', 'm'] + list(argv))


def test_demo_shares_the_face_and_device_flags():
    ours = {a.dest: a for a in translate_options.build_parser('')._actions}
    parser, _ = demo.parse_args(['--model', 'm'])
    for action in parser._actions:
        if action.dest in ('min_face', 'batch_size', 'gpu'):
            mine = ours.pop(action.dest)
            assert (action.default, action.help) == (mine.default, mine.help)
    assert not {'min_face', 'batch_size', 'gpu'} & set(ours)


def test_plans_follow_the_flags():
    layout = label_specs.LabelLayout([['e', NAMES]])
    plan = translate_options.make_plan(layout, _args('p.png', '--all'))
    assert plan.labels.shape == (3, 3) and plan.captions == NAMES
    plan = translate_options.make_plan(layout, _args(
        'p.png', '--source', 'neutral', '--interpolate', 'smile'))
    assert len(plan.labels) == translate_options.DEFAULT_STEPS
    with pytest.raises(ValueError, match='--interpolate needs --source'):
        translate_options.make_plan(layout, _args('p.png', '--interpolate',
                                                  'smile'))


@pytest.mark.parametrize('argv, message', [
    (['p.png'], 'choose what to make'),
    (['p.png', '--all', '--steps', '1'], '--steps must be at least 2'),
    (['--target', 'smile', 'p.png'], 'before --target')])
def test_bad_flags_are_refused_naming_them(argv, message, capsys, tmp_path,
                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'p.png').write_bytes(b'')
    parser = translate_options.build_parser('')
    with pytest.raises(SystemExit):
        translate_options.check_args(parser, parser.parse_args(
            ['--model', 'm'] + argv))
    assert message in capsys.readouterr().err
