"""``--dis-head auto`` and the unset ``--lambda-cls``: a map per domain
and weight 0.5 where the labels are one exclusive group, the paper's
shared map and weight 1 elsewhere; a resumed run keeps its snapshot's
head. Without ``--dis-head`` a run has the paper's map and weight."""
import json
import os

import pytest

from faceapp import quality_options
from faceapp import runs
import train

TINY = ['--preset', 'tiny', '--n-train', '20', '--n-test', '5',
        '--n-samples', '2', '--log-interval', '2', '--eval-interval', '0',
        '--n-critic', '1', '--iterations', '2']


def _resolved(group_sizes, saved=None, **given):
    opts = dict(dict(dis_head='auto', lambda_cls=None), **given)
    quality_options.resolve_dis_head(opts, group_sizes, saved)
    return opts['dis_head'], opts['lambda_cls']


@pytest.mark.parametrize('group_sizes, expected', [
    ([5], ('per-domain', .5)),       # a folder per domain
    ([2], ('per-domain', .5)),       # a CycleGAN-like pair
    ([5, 4], ('shared', 1.)),        # expressions and hair colours
    ([1, 1, 1], ('shared', 1.)),     # CelebA's independent attributes
    ([1], ('shared', 1.)),           # one label is no domain per map
])
def test_auto_maps_each_domain_only_for_one_group(group_sizes, expected):
    assert _resolved(group_sizes) == expected


def test_given_values_and_a_resumed_head_win():
    assert _resolved([5], dis_head='shared') == ('shared', 1.)
    assert _resolved([5], lambda_cls=2.) == ('per-domain', 2.)
    assert _resolved([5], lambda_cls=0.) == ('per-domain', 0.)
    assert _resolved([5], saved='shared') == ('shared', 1.)
    assert _resolved([5], saved='per-domain', dis_head='shared') == (
        'shared', 1.)  # the refusal of a mismatch comes with the snapshot


def test_an_explicit_per_domain_head_still_needs_one_group():
    with pytest.raises(ValueError, match='--dis-head per-domain needs one'):
        _resolved([5, 4], dis_head='per-domain')


def _args(out):
    with open(os.path.join(out, 'args.json')) as f:
        return json.load(f)


def _maps(out, iteration):
    path = os.path.join(out, 'snapshot_iter_{}'.format(iteration))
    return runs.saved_dis_head(path)


@pytest.mark.parametrize('flags, head, weight', [
    ([], 'shared', 1.),  # the default: the paper's D and weights
    (['--dis-head', 'per-domain'], 'per-domain', .5),
    (['--dis-head', 'auto'], 'per-domain', .5),
    (['--dis-head', 'auto', '--attributes', 'expression', 'hair'], 'shared',
     1.)])
def test_train_py_records_the_resolved_head(tmp_path, flags, head, weight):
    out = str(tmp_path / 'run')
    assert train.main(TINY + flags + ['--out', out]) == 0
    args = _args(out)
    assert (args['dis_head'], args['lambda_cls']) == (head, weight)
    assert _maps(out, 2) == head


@pytest.mark.parametrize('first', ['shared', 'per-domain'])
def test_a_resumed_run_keeps_its_snapshots_head(tmp_path, first):
    # A run trained before auto (shared, weight 1) resumes as it was.
    out = str(tmp_path / 'run')
    assert train.main(TINY + ['--dis-head', first, '--out', out]) == 0
    assert train.main(TINY + ['--iterations', '4', '--out', out,
                              '--dis-head', 'auto', '--resume', 'auto']) == 0
    assert _maps(out, 4) == first
    assert _args(out)['dis_head'] == first
    assert _args(out)['lambda_cls'] == quality_options.LAMBDA_CLS[first]


def test_a_resumed_run_keeps_its_own_classification_weight(tmp_path):
    # A per-domain run from before the weight followed the head (1) goes on
    # with 1 when the resuming command leaves --lambda-cls out.
    out = str(tmp_path / 'run')
    head = ['--dis-head', 'per-domain']
    assert train.main(TINY + head + ['--lambda-cls', '1', '--out', out]) == 0
    assert train.main(TINY + head + ['--iterations', '4', '--out', out,
                                     '--resume', 'auto']) == 0
    assert _args(out)['lambda_cls'] == 1.
    assert train.main(TINY + head + ['--iterations', '6', '--out', out,
                                     '--lambda-cls', '.25',
                                     '--resume', 'auto']) == 0
    assert _args(out)['lambda_cls'] == .25  # a given weight wins
