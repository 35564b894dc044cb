"""What a run directory holds and where in its files things are: args.json,
snapshot_iter_N (complete or torn) and the generators' keys in them, the
export's name, and the checks before training into it."""
import json
import os
import re
import zipfile
import zlib

from datasets import atomic
from datasets.image_files import DatasetError
from faceapp import snapshots


#: The run's resolved options, written by ``train.py`` into the out dir.
ARGS_NAME = 'args.json'
#: Name ``train.py`` gives the generator export in its out dir.
EXPORT_NAME = 'generator.npz'
#: Trainer snapshots are ``snapshot_iter_<iteration>`` in the out dir.
SNAPSHOT_PATTERN = re.compile(r'^snapshot_iter_(\d+)$')
#: ``chainer.training.extensions.snapshot``'s ``filename`` that writes them.
SNAPSHOT_TEMPLATE = 'snapshot_iter_{.updater.iteration}'

#: Key prefix of each generator inside a whole-trainer snapshot: StarGAN's
#: ``gen``, CycleGAN's ``gen_ab`` and ``gen_ba``.
GEN_PREFIXES = {'gen': 'updater/model:gen/',
                'gen_ab': 'updater/model:gen_ab/',
                'gen_ba': 'updater/model:gen_ba/'}
#: Key prefix of the average of G's weights (``--ema-beta``) in a snapshot.
EMA_PREFIX = 'updater/ema/average/'


def options_path(run_dir):
    """``run_dir/args.json``."""
    return os.path.join(run_dir, ARGS_NAME)


def write_options(opts, run_dir):
    """Writes a run's resolved options to its args.json, atomically.

    Args:
        opts (dict): JSON-serialisable options.
        run_dir (str): The out dir.
    """
    atomic.write_json_atomic(opts, options_path(run_dir))


def read_options(run_dir):
    """Reads ``run_dir/args.json``.

    Raises:
        DatasetError: It is missing or not JSON, with what to do.
    """
    path = options_path(run_dir)
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise DatasetError(
            'cannot read the run options {} ({}); evaluate a snapshot inside '
            'the out dir train.py wrote, or pass --run-dir'.format(path, e))


def snapshot_problem(path):
    """Why ``path`` is not a complete npz archive, or None when it is.

    Args:
        path (str): A snapshot or other npz file.

    Returns:
        str or None: E.g. ``'not a complete zip archive (a torn or
        interrupted write?)'``; None for a readable archive whose members
        all pass their checksums.
    """
    try:
        with zipfile.ZipFile(path) as z:
            if not z.namelist():
                return 'an empty archive'
            bad = z.testzip()
    except zipfile.BadZipFile:
        return 'not a complete zip archive (a torn or interrupted write?)'
    except OSError as e:
        return 'unreadable ({})'.format(e.strerror or e)
    except (EOFError, zlib.error, ValueError) as e:  # damaged compression
        return 'damaged ({})'.format(e)
    if bad is not None:
        return 'damaged: member {} fails its checksum'.format(bad)
    return None


def is_complete_snapshot(path):
    """True when ``path`` is a readable npz archive (not a torn write)."""
    return snapshot_problem(path) is None


def snapshot_iteration(path):
    """The iteration N of a ``snapshot_iter_N`` path, or None."""
    m = SNAPSHOT_PATTERN.match(os.path.basename(path))
    return int(m.group(1)) if m else None


def newest_snapshot(out_dir):
    """The newest complete ``snapshot_iter_N`` and the newer ones skipped.

    Args:
        out_dir (str): A run's out dir.

    Returns:
        tuple: ``(path or None, skipped)``; ``skipped`` lists ``(name,
        reason)`` for each newer snapshot file that is not complete.
    """
    if not os.path.isdir(out_dir):
        return None, []
    found = sorted(((int(m.group(1)), name) for name in os.listdir(out_dir)
                    for m in [SNAPSHOT_PATTERN.match(name)] if m),
                   reverse=True)
    skipped = []
    for _, name in found:
        path = os.path.join(out_dir, name)
        problem = snapshot_problem(path)
        if problem is None:
            return path, skipped
        skipped.append((name, problem))
    return None, skipped


def latest_snapshot(out_dir):
    """The newest complete ``snapshot_iter_N`` in ``out_dir``, or None."""
    return newest_snapshot(out_dir)[0]


def require_snapshot(run_dir):
    """Path of the newest complete ``snapshot_iter_N`` in a run dir.

    Raises:
        ~faceapp.snapshots.UnsafeFileError: There is none.
    """
    path = latest_snapshot(run_dir)
    if path is None:
        raise snapshots.UnsafeFileError(
            'no complete snapshot_iter_* in {}; train it first'.format(
                run_dir))
    return path


def find_snapshot(path, log=None):
    """Resolves a run dir or a snapshot file.

    Args:
        path (str): A run's out dir (its newest complete
            ``snapshot_iter_N`` is used)
            or a snapshot file inside one.
        log (file or None): Where to say which newer snapshots were
            skipped, one line each, with the reason.

    Returns:
        tuple of str: ``(snapshot, run_dir)``.

    Raises:
        ~faceapp.snapshots.UnsafeFileError: Nothing usable is there.
    """
    if os.path.isdir(path):
        snapshot, skipped = newest_snapshot(path)
        for line in skipped_lines(skipped, path) if log is not None else ():
            print(line, file=log)
        if snapshot is None:
            raise snapshots.UnsafeFileError(
                '{} holds no {} and no complete snapshot_iter_*{}; pass an '
                'export or a run dir of train.py'.format(
                    path, EXPORT_NAME,
                    ' ({} damaged)'.format(len(skipped)) if skipped else ''))
        return snapshot, path
    if not os.path.isfile(path):
        raise snapshots.UnsafeFileError('{} does not exist'.format(path))
    return path, os.path.dirname(os.path.abspath(path))


def has_snapshots(out_dir):
    """Whether ``out_dir`` holds any ``snapshot_iter_*`` (even a torn one).
    """
    return os.path.isdir(out_dir) and any(
        SNAPSHOT_PATTERN.match(n) for n in os.listdir(out_dir))


def describe_newest(out_dir):
    """``'the newest snapshot is PATH (iteration N)'`` for the newest
    complete snapshot, or a sentence saying there is none."""
    path = latest_snapshot(out_dir)
    if path is None:
        return 'no snapshot was written yet in {}'.format(out_dir)
    return 'the newest snapshot is {} (iteration {})'.format(
        path, snapshot_iteration(path))


def skipped_lines(skipped, where):
    """One line per skipped file: ``skipped WHERE/NAME: REASON``."""
    return ['skipped {}: {}'.format(os.path.join(where, name), reason)
            for name, reason in skipped]


#: Options that may differ between a run and its continuation.
RUN_INDEPENDENT = {'resume', 'force', 'out', 'gpu', 'log_interval',
                   'sample_interval', 'snapshot_interval', 'eval_interval',
                   'n_samples', 'n_eval', 'cache_dir', 'iterations',
                   'decay_start', 'deterministic'}
#: Options a run fills only once it has read its data (``--dis-head auto``,
#: an unset ``--lambda-cls``): left at these values they take what the same
#: data gave the earlier run, so they are no conflict.
RESOLVED_WITH_DATA = {'dis_head': 'auto', 'lambda_cls': None}


def conflicting_options(out_dir, opts):
    """Options of the run already in ``out_dir`` that differ from ``opts``.

    Args:
        out_dir (str): An out dir (may hold ``args.json``).
        opts (dict): The new run's resolved options.

    Returns:
        list of str: ``'name: old -> new'`` for each differing option that
        shapes training (empty when there is no earlier run).
    """
    if not os.path.exists(options_path(out_dir)):
        return []
    try:
        old = read_options(out_dir)
    except DatasetError:
        return [ARGS_NAME + ': unreadable']
    unset = {k for k, v in RESOLVED_WITH_DATA.items()
             if k in opts and opts[k] == v}
    return ['{}: {!r} -> {!r}'.format(k, old.get(k), opts.get(k))
            for k in sorted(set(old) | set(opts))
            if k not in RUN_INDEPENDENT | unset and old.get(k) != opts.get(k)]


def check_writable(out_dir):
    """Raises OSError with a plain message if ``out_dir`` cannot be written.
    """
    os.makedirs(out_dir, exist_ok=True)
    probe = os.path.join(out_dir, '.write_test')
    with open(probe, 'w') as f:
        f.write('ok')
    os.remove(probe)
