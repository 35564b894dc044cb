"""Train configurations on one budget and measure their translations.

Each ``--config NAME='train.py options'`` is trained by train.py's own code
(:func:`faceapp.training.main`) into ``OUT/NAME`` for the same budget
(``--iterations N``, or ``--minutes M``: the iterations a short timed probe
of that configuration says fit in M minutes), then scored as
``evaluate.py`` scores a run (:mod:`faceapp.scoring`). Printed per run,
and as one Markdown table (also OUT/quality.md, OUT/quality.json): the
judge's target accuracy and its accuracy on real test images, the Frechet
distance in its features with the real-vs-real floor and their ratio, the
reconstruction error, the identity score and, on the synthetic faces, the
L1 to the true rendering. OUT/samples.png shows every run's last sample grid
side by side (:mod:`benchmarks.side_by_side`).

    python -m benchmarks.quality --iterations 3000 --out quality \\
        --config small='--preset small' \\
        --config attention='--preset small --generator attention'
"""
import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
import time

from faceapp import devices
devices.preload_cuda_libraries()  # before chainer (faceapp) imports CuPy

from benchmarks import side_by_side  # noqa: E402
from datasets import atomic  # noqa: E402
from faceapp import arg_types  # noqa: E402
from faceapp import judging  # noqa: E402
from faceapp import outputs  # noqa: E402
from faceapp import report  # noqa: E402
from faceapp import run_files  # noqa: E402
from faceapp import runs  # noqa: E402
from faceapp import scoring  # noqa: E402
from faceapp import training  # noqa: E402

#: Metrics measured (the offline ones).
METRIC_NAMES = ('target_accuracy', 'feature_distances', 'reconstruction',
                'identity', 'ground_truth')

#: Table columns: ``(header, result key, digits)``.
COLUMNS = (('target acc', 'target_accuracy', 3),
           ('judge acc (real)', 'classifier_accuracy_real', 3),
           ('Frechet', 'frechet_distance', 3),
           ('floor', 'frechet_floor', 3),
           ('Frechet / floor', 'frechet_ratio', 2),
           ('spread', 'spread_ratio', 3),
           ('reconstruction L1', 'reconstruction_l1', 4),
           ('identity', 'identity_score', 4),
           ('ground-truth L1', 'ground_truth_l1', 4),
           ('iterations', 'iterations', 0),
           ('train s', 'train_seconds', 0))


def parse_config(text):
    """``NAME=OPTIONS`` -> ``(name, [train.py options])``."""
    name, sep, options = text.partition('=')
    name = name.strip()
    if not sep or not name or os.sep in name or name.startswith('.'):
        raise argparse.ArgumentTypeError(
            'expected NAME=\'train.py options\' with a plain NAME (it names '
            'the run folder), got {!r}'.format(text))
    try:
        return name, shlex.split(options)
    except ValueError as e:
        raise argparse.ArgumentTypeError('--config {}: {}'.format(name, e))


def positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError('must be positive, got ' + text)
    return value


def build_parser():
    p = argparse.ArgumentParser(
        prog='python -m benchmarks.quality',
        description=__doc__.split('\n\n')[0],
        epilog='Configurations are train.py options; --out, --iterations, '
               '--gpu and the budget are set here (--eval-interval 0 '
               'unless a configuration sets it).',
        formatter_class=arg_types.HelpFormatter)
    p.add_argument('--config', type=parse_config, action='append',
                   metavar="NAME='OPTIONS'", help=(
                       'a configuration: a name and train.py options (e.g. '
                       "small='--preset small --ema-beta 0'); repeat for a "
                       'table. Default: train.py\'s defaults, named default'))
    budget = p.add_mutually_exclusive_group()
    budget.add_argument('--iterations', type=int, default=None, help=(
        'iterations of every run (default: each preset\'s own)'))
    budget.add_argument('--minutes', type=positive_float, default=None,
                        help='wall-clock budget of every run\'s training')
    p.add_argument('--probe-iterations', type=int, default=100, help=(
        'with --minutes: iterations timed to estimate the speed'))
    p.add_argument('--out', default='quality_runs',
                   help='runs go to OUT/NAME; the table to OUT/quality.md')
    add_judge_arguments(p)
    p.add_argument('--gpu', type=int, default=-1, help='GPU id; -1: CPU')
    return p


def add_judge_arguments(p):
    """``--n-test``, ``--classifier-iterations`` and ``--cache-dir``."""
    p.add_argument('--n-test', type=int, default=100,
                   help='test images translated to every other domain')
    p.add_argument('--classifier-iterations', type=int, default=600,
                   help='training steps of the judging classifier')
    p.add_argument('--cache-dir', default=judging.default_cache_dir(),
                   help='where trained judging classifiers are kept')


def train_run(options, out):
    """Runs train.py's main on ``options`` into ``out``.

    Returns:
        tuple: ``(exit code, seconds)``; a refusal of train.py (its message
        is already printed) gives its SystemExit code.
    """
    start = time.perf_counter()
    try:
        code = training.main(options + ['--out', out])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    return code, time.perf_counter() - start


def seconds_per_iteration(log_path):
    """Training seconds per iteration from a LogReport file (the loop's
    own clock, without setup).

    The first quarter of the entries (warm-up: first allocations, the
    prefetch thread filling up) and the last one (whose iteration also
    draws the sample grid and writes the snapshot) are left out, so the
    figure is the steady speed a long run sees.
    """
    with open(log_path) as f:
        log = json.load(f)
    if len(log) >= 6:
        log = log[len(log) // 4:-1]
    if len(log) < 2:
        raise ValueError('{}: too few log entries to time iterations; '
                         'raise --probe-iterations'.format(log_path))
    first, last = log[0], log[-1]
    return ((last['elapsed_time'] - first['elapsed_time'])
            / (last['iteration'] - first['iteration']))


def probe_iterations(options, minutes, probe, root):
    """The iterations of ``options`` that fit in ``minutes``, timed on a
    ``probe``-iteration run in a temporary folder under ``root``.

    Returns:
        tuple: ``(iterations or None, exit code of the probe)``.
    """
    folder = tempfile.mkdtemp(prefix='.probe-', dir=root)
    try:
        code, _ = train_run(options + [
            '--iterations', str(probe),
            # A log line every iteration would time the log's own plots.
            '--log-interval', str(max(1, probe // 10)),
            '--snapshot-interval', str(probe), '--sample-interval',
            str(probe)], os.path.join(folder, 'run'))
        if code:
            return None, code
        per = seconds_per_iteration(os.path.join(folder, 'run', 'log'))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return max(1, int(minutes * 60 / per)), 0


def score_run(run_dir, args, device):
    """``evaluate.py``'s numbers for a finished run (its newest snapshot).
    """
    snapshot, _ = run_files.find_snapshot(run_dir)
    opts = run_files.read_options(run_dir)
    train, test = runs.make_datasets(opts)
    result, _ = scoring.score_snapshot(
        snapshot, run_dir, opts, train, test, args.n_test,
        list(METRIC_NAMES), scoring.JudgeOptions(
            args.cache_dir, args.classifier_iterations), device)
    result['iterations'] = opts['iterations']
    return result


def _cell(value, digits):
    if value is None:
        return '-'
    return str(int(round(value))) if digits == 0 else '{:.{}f}'.format(
        value, digits)


def markdown_table(rows):
    """One Markdown row per ``(name, result)``; '-' where a number does not
    apply (no ground truth off the synthetic faces)."""
    lines = ['| configuration | ' + ' | '.join(h for h, _, _ in COLUMNS)
             + ' |', '|---' * (len(COLUMNS) + 1) + '|']
    for name, result in rows:
        lines.append('| {} | {} |'.format(name, ' | '.join(
            _cell(result.get(key), digits) for _, key, digits in COLUMNS)))
    return '\n'.join(lines)


def run_config(name, options, args, device):
    """Trains and scores one configuration; ``(result or None, code)``."""
    base = ['--eval-interval', '0', '--gpu', str(args.gpu)] + options
    budget = []
    if args.iterations is not None:
        budget = ['--iterations', str(args.iterations)]
    elif args.minutes is not None:
        n, code = probe_iterations(base, args.minutes,
                                   args.probe_iterations, args.out)
        if code:
            return None, code
        budget = ['--iterations', str(n)]
    print('== {}: train.py {}'.format(name, ' '.join(
        shlex.quote(o) for o in base + budget)), flush=True)
    run_dir = os.path.join(args.out, name)
    code, seconds = train_run(base + budget, run_dir)
    if code:
        return None, code
    result = score_run(run_dir, args, device)
    result['train_seconds'] = seconds
    print(report.summary(result), flush=True)
    return result, 0


def write_tables(out, rows):
    """OUT/quality.md (the table), OUT/quality.json (every number) and
    OUT/samples.png (the runs' last sample grids side by side)."""
    table = markdown_table(rows)
    with atomic.atomic_open(os.path.join(out, 'quality.md'), 'w') as f:
        f.write(table + '\n')
    atomic.write_json_atomic({n: r for n, r in rows},
                             os.path.join(out, 'quality.json'))
    side_by_side.write([(n, os.path.join(out, n, 'samples_latest.png'))
                        for n, _ in rows], os.path.join(out, 'samples.png'))
    return table


def check_args(parser, args):
    """Refuses impossible values in one line naming the flag; returns the
    configurations (default: train.py's defaults, named default)."""
    for key, least in (('iterations', 1), ('probe_iterations', 1),
                       ('n_test', 2)):
        value = getattr(args, key)
        if value is not None and value < least:
            parser.error('--{} must be at least {}, got {}'.format(
                key.replace('_', '-'), least, value))
    configs = args.config or [('default', [])]
    for name, options in configs:
        if sum(o == '--dataset' or o.startswith('--dataset=')
               for o in options) > 1:
            parser.error('--config {}: several --dataset (a joint run) are '
                         'not scored here; score it with evaluate.py, which '
                         'reports each dataset'.format(name))
    names = [n for n, _ in configs]
    if len(set(names)) < len(names):
        parser.error('--config names must differ, got {}'.format(
            ', '.join(names)))
    try:
        outputs.check_out_dir(args.out)
    except outputs.OutputError as e:
        parser.error(str(e))
    return configs


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    configs = check_args(parser, args)
    try:
        device = devices.get_device(args.gpu)
    except ValueError as e:
        parser.error(str(e))
    device.use()
    os.makedirs(args.out, exist_ok=True)
    rows, code = [], 0
    for name, options in configs:
        try:
            result, code = run_config(name, options, args, device)
        except KeyboardInterrupt:
            result, code = None, 130
        if code:
            print('{}: train.py exited with code {}; stopping (the table '
                  'holds the runs before it).'.format(name, code),
                  file=sys.stderr)
            break
        rows.append((name, result))
    if rows:
        try:
            with outputs.write_errors(args.out):
                print('\n' + write_tables(args.out, rows))
        except outputs.OutputError as e:
            print('error: ' + str(e), file=sys.stderr)
            return 1
    return code


if __name__ == '__main__':
    sys.exit(main())
