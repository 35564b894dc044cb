#!/usr/bin/env python
"""Measure a trained StarGAN or CycleGAN offline: target-domain accuracy,
feature distances (the Frechet distance with its real-vs-real floor), an
identity score, reconstruction error and (on synthetic faces) error
against the ground truth; a CycleGAN run in both directions of its pair. A
run compare.py trained is scored as compare.py scored it, on the same images.

A small domain classifier trained on the run's real training images judges
the translations (the StarGAN paper's protocol); it is cached per dataset, so
only the first evaluation pays for it. Writes OUT/metrics.json, OUT/report.md
and two figures (translations.png, per_domain.png). Deterministic for a seed.

Example: python evaluate.py result/snapshot_iter_2000 --out result/eval
"""
import argparse
import os
import sys

os.environ.setdefault('MPLBACKEND', 'Agg')

from faceapp import devices  # NOQA: E402
devices.preload_cuda_libraries()  # before chainer (below) imports CuPy

from datasets import atomic  # NOQA: E402
from datasets.folder import DatasetError  # NOQA: E402
from extensions import joint_eval  # NOQA: E402
from faceapp import arg_types  # NOQA: E402
from faceapp import compare_eval  # NOQA: E402
from faceapp import inception  # NOQA: E402
from faceapp import judging  # NOQA: E402
from faceapp import outputs  # NOQA: E402
from faceapp import report  # NOQA: E402
from faceapp import run_files  # NOQA: E402
from faceapp import run_lock  # NOQA: E402
from faceapp import runs  # NOQA: E402
from faceapp import scoring  # NOQA: E402
from faceapp import snapshots  # NOQA: E402
from stargan import metrics  # NOQA: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=arg_types.HelpFormatter)
    p.add_argument('snapshot', help=(
        'a run dir of train.py (its newest complete snapshot is used), or a '
        'trainer snapshot (snapshot_iter_N) or generator file written by '
        'train.py; StarGAN and CycleGAN runs'))
    p.add_argument('--run-dir', default=None, help=(
        'the out dir of the training run (holds args.json); default: the '
        'given run dir, or the snapshot\'s folder'))
    p.add_argument('--out', default=None,
                   help='where to write the report (default: RUN_DIR/eval)')
    p.add_argument('--n-test', type=int, default=None, help=(
        'test images translated to every other domain (default: 200; for '
        'a run compare.py trained, the --n-eval it judged with)'))
    p.add_argument('--metrics', nargs='+', default=list(metrics.METRICS),
                   choices=list(metrics.METRICS), help='what to measure')
    p.add_argument('--classifier-iterations', type=int, default=None,
                   help='training steps of the judging classifier (default: '
                   '600; for a run compare.py trained, its value)')
    p.add_argument('--cache-dir', default=judging.default_cache_dir(),
                   help='where trained judging classifiers are kept')
    p.add_argument('--inception', default=None, metavar='PATH', help=(
        'GoogLeNet (Inception v1) weights in chainer npz form for an '
        'Inception-style FID; without it that metric is skipped'))
    p.add_argument('--gpu', type=int, default=-1, help='GPU id; -1: CPU')
    p.add_argument('--seed', type=int, default=None, help=(
        'classifier training seed (default: 0; for a run compare.py '
        'trained, its seed)'))
    p.add_argument('--own-split', action='store_true', help=(
        'for a run compare.py trained: evaluate on the run\'s own held-out '
        'images (part of the comparison\'s training pack) instead of the '
        'data compare.py judged it on (eval_data in its args.json)'))
    return p, p.parse_args(argv)


def _judge_options(args):
    return scoring.JudgeOptions(args.cache_dir, args.classifier_iterations,
                                args.seed)


def _inception(args, device):
    """The user's Inception-style network, when asked for, else None."""
    if args.inception and 'inception_fid' in args.metrics:
        return inception.load_feature_network(args.inception, device)
    return None


def locate(args):
    """``(snapshot, run_dir)`` from the positional path (a run dir, as
    translate.py accepts, or a file in one) and ``--run-dir``."""
    snapshot, run_dir = run_files.find_snapshot(args.snapshot)
    return snapshot, args.run_dir or run_dir


def run(args):
    """Evaluates and writes the report; returns the metrics dict."""
    snapshot, run_dir = locate(args)
    out = args.out or os.path.join(run_dir, 'eval')
    outputs.check_out_dir(out)
    run_lock.tidy(out)  # temporary files of a killed evaluation
    opts = run_files.read_options(run_dir)
    base = None if args.own_split else opts.get('eval_data')
    fill_judging_defaults(args, base or {})
    train, test = runs.make_datasets(opts) if base is None else \
        compare_data(base)
    device = devices.get_device(args.gpu)
    device.use()  # --gpu 1: CuPy's own arrays go there too
    if runs.is_joint(opts):
        gen = runs.load_generator(snapshot, opts, len(train.label_names))
        gen.to_device(device)
        return run_joint(args, snapshot, train, test, gen, device, out)
    # One dataset: a StarGAN run, or every direction of a CycleGAN run or
    # of a run compare.py trained, as compare.py scores them.
    result, data = scoring.score_snapshot(
        snapshot, run_dir, opts, train, test, args.n_test, args.metrics,
        _judge_options(args), device, _inception(args, device),
        pairwise=base is not None)
    result.update(snapshot=os.path.abspath(snapshot))
    with outputs.writing(out) as staging:
        report.write_report(staging, result, data, train.label_names)
    return result


#: evaluate.py's own defaults of the flags a comparison also sets.
JUDGING_DEFAULTS = {'n_test': 200, 'classifier_iterations': 600, 'seed': 0}


def fill_judging_defaults(args, base):
    """Fills the judging flags not given: as compare.py judged the run
    (``base``: its ``eval_data``, holding ``n_eval``,
    ``classifier_iterations`` and ``seed`` since they were recorded), else
    :data:`JUDGING_DEFAULTS`; so both give the same numbers by default."""
    given = {'n_test': base.get('n_eval'),
             'classifier_iterations': base.get('classifier_iterations'),
             'seed': base.get('seed')}
    for key, default in JUDGING_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, default if given[key] is None else given[key])


def compare_data(base):
    """``(train, test)`` compare.py judged a run it trained on (``base``:
    the run's ``eval_data``), saying so."""
    print('compare.py trained this run: evaluating it on the images '
          'compare.py judged it on (the test split of {}; eval_data in '
          'args.json). --own-split evaluates on the run\'s own held-out '
          'images instead.'.format(base['dataset'] or 'the synthetic faces'),
          flush=True)
    return (compare_eval.open_base(base, 'train'),
            compare_eval.open_base(base, 'test'))


def run_joint(args, snapshot, train, test, gen, device, out):
    """Several datasets: a report per dataset in OUT/<dataset>/ (its own
    images, judged by its own classifier) plus ``cross_accuracy``, the other
    datasets' images translated to its labels; OUT/metrics.json holds all.
    """
    results = {}
    with outputs.writing(out) as staging:
        for k, name in enumerate(train.names):
            print('Dataset {}:'.format(name), flush=True)
            x_tr, c_tr = joint_eval.part_arrays(train, k)
            x, c = joint_eval.part_arrays(test, k, args.n_test)
            sizes = train.layout.dataset_group_sizes[k]
            clf, clf_acc = scoring.judge(x_tr, c_tr, sizes, x, c,
                                         _judge_options(args), device)
            result, data = joint_eval.evaluate_dataset(
                gen, test, k, clf, args.n_test, device,
                [m for m in args.metrics if m != 'inception_fid'],
                scoring.ground_truth(test.datasets[k], args.n_test),
                reference=(x_tr, c_tr))
            result = scoring.judged(result, clf_acc, sizes)
            result.update(n_test=len(x))
            report.write_report(os.path.join(staging, name), result, data,
                                test.datasets[k].label_names)
            results[name] = result
        results = {'datasets': results,
                   'snapshot': os.path.abspath(snapshot)}
        atomic.write_json_atomic(results, os.path.join(staging,
                                                       'metrics.json'))
    return results


def main(argv=None):
    parser, args = parse_args(argv)
    if args.n_test is not None and args.n_test < 2:
        parser.error('--n-test must be at least 2, got {}'.format(
            args.n_test))
    try:
        result = run(args)
    except (DatasetError, snapshots.UnsafeFileError, ValueError,
            outputs.OutputError) as e:
        parser.error(str(e))
    except KeyboardInterrupt:
        print('\nInterrupted; no report was written.', file=sys.stderr)
        return 130
    for name, part in result.get('datasets', {None: result}).items():
        if name is not None:  # a joint run: one block per dataset
            print('dataset {}: other datasets\' images to its labels, '
                  'cross_accuracy {:.4f}'.format(name,
                                                 part['cross_accuracy']))
        print(report.summary(part))
    return 0


if __name__ == '__main__':
    sys.exit(main())
