"""argparse ``type=`` checks shared by the scripts' flags.

A bad value raises :class:`argparse.ArgumentTypeError`, which argparse turns
into ``script.py: error: argument --flag: ...`` and exit status 2, with no
traceback.
"""
import argparse
import math


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` with each flag's default, except where it is None: there
    the help says what takes its place (a preset's value, a choice made from
    the data), and "(default: None)" would only contradict it."""

    def _get_help_string(self, action):
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def _number(text, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError('{!r} is not a{} {}'.format(
            text, 'n' if kind is int else '',
            'integer' if kind is int else 'number'))
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError('must be a finite number, got '
                                         '{}'.format(text))
    return value


def positive_int(text):
    """An int above 0 (sizes, counts, iterations)."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError('must be positive, got {}'.format(
            value))
    return value


def positive_float(text):
    """A finite float above 0 (learning rates)."""
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(
            'must be more than 0, got {}'.format(text))
    return value


def non_negative_float(text):
    """A finite float of 0 or more (loss weights; 0 turns a loss off)."""
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(
            'must be 0 (off) or more, got {}'.format(text))
    return value


def open_fraction(text):
    """A share strictly between 0 and 1 (held-out parts: an empty test set
    or an empty training set is not a split)."""
    value = _number(text, float)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            'must be more than 0 and less than 1, got {}'.format(text))
    return value
