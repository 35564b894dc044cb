"""What a run directory holds: args.json, snapshot_iter_N (complete or
torn), and the checks before training into it."""
import json
import os
import re
import zipfile
import zlib


#: Trainer snapshots are ``snapshot_iter_<iteration>`` in the out dir.
SNAPSHOT_PATTERN = re.compile(r'^snapshot_iter_(\d+)$')


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


def skipped_lines(skipped, where):
    """One line per skipped file: ``skipped WHERE/NAME: REASON``."""
    return ['skipped {}: {}'.format(os.path.join(where, name), reason)
            for name, reason in skipped]


#: Options that may differ between a run and its continuation.
RUN_INDEPENDENT = {'resume', 'force', 'out', 'gpu', 'log_interval',
                   'sample_interval', 'snapshot_interval', 'eval_interval',
                   'n_samples', 'n_eval', 'cache_dir', 'iterations',
                   'decay_start', 'deterministic'}


def conflicting_options(out_dir, opts):
    """Options of the run already in ``out_dir`` that differ from ``opts``.

    Args:
        out_dir (str): An out dir (may hold ``args.json``).
        opts (dict): The new run's resolved options.

    Returns:
        list of str: ``'name: old -> new'`` for each differing option that
        shapes training (empty when there is no earlier run).
    """
    path = os.path.join(out_dir, 'args.json')
    if not os.path.exists(path):
        return []
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return ['args.json: unreadable']
    return ['{}: {!r} -> {!r}'.format(k, old.get(k), opts.get(k))
            for k in sorted(set(old) | set(opts))
            if k not in RUN_INDEPENDENT and old.get(k) != opts.get(k)]


def check_writable(out_dir):
    """Raises OSError with a plain message if ``out_dir`` cannot be written.
    """
    os.makedirs(out_dir, exist_ok=True)
    probe = os.path.join(out_dir, '.write_test')
    with open(probe, 'w') as f:
        f.write('ok')
    os.remove(probe)
