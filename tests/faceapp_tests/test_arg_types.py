"""argparse type checks shared by the scripts."""
import argparse

import pytest

from faceapp import arg_types
from faceapp import train_options


@pytest.mark.parametrize('check, good, bad', [
    (arg_types.positive_int, ['1', '20'], ['0', '-3', '2.5', 'x']),
    (arg_types.positive_float, ['1e-4', '3'], ['0', '-1e-4', 'nan', 'inf']),
    (arg_types.non_negative_float, ['0', '10'], ['-0.5', 'nan', 'y']),
    (arg_types.open_fraction, ['0.1', '0.99'], ['0', '1', '1.5', '-0.1']),
])
def test_types_take_good_values_and_refuse_bad_ones(check, good, bad):
    for text in good:
        assert check(text) == float(text)
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError):
            check(text)


def test_a_refusal_names_the_flag_and_exits_2(capsys):
    p = argparse.ArgumentParser(prog='x.py')
    p.add_argument('--test-fraction', type=arg_types.open_fraction)
    with pytest.raises(SystemExit) as e:
        p.parse_args(['--test-fraction', '1.5'])
    assert e.value.code == 2
    assert 'x.py: error: argument --test-fraction: must be more than 0 and ' \
        'less than 1, got 1.5' in capsys.readouterr().err


def test_help_shows_defaults_but_not_none():
    parser = argparse.ArgumentParser(formatter_class=arg_types.HelpFormatter)
    parser.add_argument('--beta', type=float, default=0.999, help='decay')
    parser.add_argument('--batch', type=int, default=None,
                        help='default: the preset\'s')
    text = ' '.join(parser.format_help().split())
    assert '--beta BETA decay (default: 0.999)' in text
    assert "--batch BATCH default: the preset's" in text
    assert 'None' not in text


def test_train_py_help_has_no_none_default():
    text = train_options.build_parser(None).format_help()
    assert '(default: None)' not in text
    assert '(default: 0.999)' in ' '.join(text.split())  # --ema-beta
