"""The conv settings are scoped: a block of code on one thread, nothing
module-wide."""
import threading

import numpy as np
import pytest

import chainer

from stargan.conv import choice as conv_choice
from stargan.conv import links

# The paper generator's last layer: 'auto' takes its output-side
# computation, 'im2col' does not.
X, W = (16, 64, 128, 128), (3, 64, 7, 7)


def _shifted():
    return conv_choice.conv_uses_shift(X, W, (1, 1), (3, 3))


def _norm_node():
    x = chainer.Variable(np.ones((1, 2, 3, 3), np.float32))
    return type(links.InstanceNormalization(2)(x).creator).__name__


def test_settings_hold_inside_the_block_only_and_nest():
    assert _shifted() and _norm_node() == 'InstanceNorm'
    with conv_choice.settings(formulation='im2col', instance_norm='composite'):
        assert not _shifted() and _norm_node() != 'InstanceNorm'
        with conv_choice.settings(formulation='auto'):
            assert _shifted()
            assert conv_choice.setting('instance_norm') == 'composite'
        assert not _shifted()
    assert _shifted() and _norm_node() == 'InstanceNorm'
    assert conv_choice.setting('layout') == conv_choice.DEFAULT_LAYOUT


def test_settings_are_restored_after_an_error():
    with pytest.raises(KeyError):
        with conv_choice.settings(formulation='im2col', batch_below=3):
            raise KeyError
    assert _shifted()
    assert conv_choice.setting('batch_below') == \
        conv_choice.DEFAULT_BATCH_BELOW


def test_another_thread_keeps_the_defaults():
    # The prefetch thread and the pool's threads do not see a block's
    # settings: a thread's block cannot change another's convolutions.
    seen = []
    with conv_choice.settings(formulation='im2col',
                              winograd_min_channels=1):
        thread = threading.Thread(target=lambda: seen.append(
            (_shifted(), conv_choice.setting('winograd_min_channels'))))
        thread.start()
        thread.join()
        assert not _shifted()
    assert seen == [(True, conv_choice.DEFAULT_WINOGRAD_MIN_CHANNELS)]


@pytest.mark.parametrize('kwargs, named', [
    ({'formulation': 'fastest'}, 'formulation'),
    ({'layout': 'diagonal'}, 'layout'),
    ({'instance_norm': 'batch'}, 'instance_norm'),
    ({'batch_below': -1}, 'batch_below'),
    ({'winograd_min_channels': 2.5}, 'winograd_min_channels'),
    ({'layout': 'batch', 'formulation': 'fastest'}, 'formulation'),
])
def test_a_bad_value_is_named_and_nothing_is_set(kwargs, named):
    with pytest.raises(ValueError, match=named):
        with conv_choice.settings(**kwargs):
            pass
    assert conv_choice.setting('layout') == conv_choice.DEFAULT_LAYOUT
