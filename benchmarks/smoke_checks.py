"""The checks benchmarks/gpu_smoke.sh runs on what its steps wrote.

Each subcommand prints one line, starting PASS or FAIL where it judges, and
exits non-zero on FAIL or on unreadable input:

    python -m benchmarks.smoke_checks median-ms RUN/log
    python -m benchmarks.smoke_checks snapshots A/snapshot_iter_200 B/...
    python -m benchmarks.smoke_checks images CPU_DIR GPU_DIR --max-diff 2
    python -m benchmarks.smoke_checks face face.png --size 128
"""
import argparse
import json
import os
import statistics
import sys

import numpy

#: Snapshot entries that make a run's state: the models and optimizers.
STATE_PREFIXES = ('updater/model:', 'updater/optimizer:')


def median_ms(log_path):
    """Median milliseconds per iteration between consecutive log entries.

    Args:
        log_path (str): A run's ``log`` (chainer's LogReport: a JSON list of
            dicts with ``iteration`` and cumulative ``elapsed_time``).

    Returns:
        tuple: ``(median ms, number of intervals)``.

    Raises:
        ValueError: Fewer than two entries.
    """
    with open(log_path) as f:
        entries = json.load(f)
    points = [(e['iteration'], e['elapsed_time']) for e in entries]
    per_iteration = [1000 * (t1 - t0) / (i1 - i0) for (i0, t0), (i1, t1)
                     in zip(points, points[1:]) if i1 > i0]
    if not per_iteration:
        raise ValueError('{}: needs two or more log entries, has {}'.format(
            log_path, len(points)))
    return statistics.median(per_iteration), len(per_iteration)


def compare_snapshots(a, b, atol=0.0):
    """Compares the model and optimizer arrays of two trainer snapshots.

    Args:
        a, b (str): Snapshot paths.
        atol (float): Largest absolute difference allowed; 0: bitwise.

    Returns:
        tuple: ``(passed, line)``.
    """
    with numpy.load(a) as fa, numpy.load(b) as fb:
        keys_a = {k for k in fa.files if k.startswith(STATE_PREFIXES)}
        keys_b = {k for k in fb.files if k.startswith(STATE_PREFIXES)}
        if not keys_a or keys_a != keys_b:
            return False, 'FAIL: the snapshots hold different arrays ({})'.format(
                sorted(keys_a ^ keys_b)[:5] or 'none')
        worst, differing = 0.0, []
        for k in sorted(keys_a):
            x, y = fa[k], fb[k]
            if x.shape != y.shape:
                return False, 'FAIL: {} has shapes {} and {}'.format(
                    k, x.shape, y.shape)
            if not numpy.array_equal(x, y):
                differing.append(k)
                if x.size:
                    worst = max(worst, float(numpy.abs(
                        x.astype(numpy.float64) - y).max()))
    if not differing:
        return True, 'PASS: {} arrays bitwise equal'.format(len(keys_a))
    line = '{} of {} arrays differ (largest difference {:.3g}, first {})'.format(
        len(differing), len(keys_a), worst, differing[0])
    if worst <= atol:
        return True, 'PASS: {}, within {:g}'.format(line, atol)
    return False, 'FAIL: ' + line


def compare_images(dir_a, dir_b, max_diff):
    """Compares every image under ``dir_a`` with the same path under ``dir_b``.

    Args:
        dir_a, dir_b (str): Folders written by translate.py.
        max_diff (int): Largest difference allowed, in 1/255.

    Returns:
        tuple: ``(passed, line)``.
    """
    from PIL import Image
    names = sorted(os.path.relpath(os.path.join(root, f), dir_a)
                   for root, _, files in os.walk(dir_a) for f in files
                   if f.lower().endswith(('.png', '.jpg', '.gif')))
    if not names:
        return False, 'FAIL: no images under {}'.format(dir_a)
    worst = 0
    for name in names:
        other = os.path.join(dir_b, name)
        if not os.path.exists(other):
            return False, 'FAIL: {} is missing'.format(other)
        x, y = (numpy.asarray(Image.open(p).convert('RGB'), numpy.int16)
                for p in (os.path.join(dir_a, name), other))
        if x.shape != y.shape:
            return False, 'FAIL: {} has sizes {} and {}'.format(
                name, x.shape, y.shape)
        worst = max(worst, int(numpy.abs(x - y).max()))
    line = '{} image(s), largest difference {}/255 (allowed {}/255)'.format(
        len(names), worst, max_diff)
    return worst <= max_diff, ('PASS: ' if worst <= max_diff else 'FAIL: ') + line


def write_face(path, size, seed=0):
    """Writes one synthetic face of ``size`` px as an image file."""
    from PIL import Image
    import datasets
    x, _ = datasets.SyntheticFaceDataset(1, size, 'test', seed=seed)[0]
    rgb = numpy.clip((x.transpose(1, 2, 0) + 1) * 127.5 + 0.5, 0, 255)
    Image.fromarray(rgb.astype(numpy.uint8)).save(path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = p.add_subparsers(dest='check', required=True)
    s = sub.add_parser('median-ms', help='median ms per iteration of a log')
    s.add_argument('log')
    s = sub.add_parser('snapshots', help='two snapshots hold equal state')
    s.add_argument('a')
    s.add_argument('b')
    s.add_argument('--atol', type=float, default=0.0)
    s = sub.add_parser('images', help='two folders of images agree')
    s.add_argument('a')
    s.add_argument('b')
    s.add_argument('--max-diff', type=int, default=2)
    s = sub.add_parser('face', help='write a synthetic face picture')
    s.add_argument('path')
    s.add_argument('--size', type=int, default=128)
    args = p.parse_args(argv)
    try:
        if args.check == 'median-ms':
            ms, n = median_ms(args.log)
            print('median {:.1f} ms per iteration ({} log intervals)'.format(
                ms, n))
            return 0
        if args.check == 'face':
            write_face(args.path, args.size)
            return 0
        if args.check == 'snapshots':
            passed, line = compare_snapshots(args.a, args.b, args.atol)
        else:
            passed, line = compare_images(args.a, args.b, args.max_diff)
    except (OSError, ValueError, KeyError) as e:
        print('FAIL: {}'.format(e))
        return 1
    print(line)
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
