"""Finding and loading the generator a user points at: an export
(:mod:`faceapp.export`, or an ``.onnx`` one: :mod:`faceapp.onnx_model`), a
``train.py`` run dir, or a trainer snapshot."""
import os

from faceapp import cyclegan_export
from faceapp import cyclegan_wiring
from faceapp import export
from faceapp import onnx_export
from faceapp import onnx_model
from faceapp import run_files
from faceapp import runs
from faceapp import snapshots


def _say(log, lines):
    for line in lines:
        if log is not None:
            print(line, file=log)


def load_from_run(path, log=None):
    """Builds the generator and export config of a training run: the
    average of G's weights when the snapshot keeps one (the config's
    ``weights`` says which).

    Args:
        path (str): As in :func:`faceapp.run_files.find_snapshot`; the
            run's args.json and dataset give the config.
        log (file or None): As in :func:`faceapp.run_files.find_snapshot`;
            also told which snapshot is loaded.

    Returns:
        tuple: ``(generator, config)``; for a CycleGAN run a
        :class:`~faceapp.cyclegan_export.CycleGANPair` and its export
        config.

    Raises:
        UnsafeFileError: Bad snapshot.
        ~datasets.image_files.DatasetError: Missing args.json or dataset.
    """
    snapshot, run_dir = run_files.find_snapshot(path, log)
    _say(log, ['model: {}'.format(snapshot)])
    opts = run_files.read_options(run_dir)
    if opts.get('model') == cyclegan_export.MODEL:
        pair = cyclegan_export.CycleGANPair(
            *cyclegan_wiring.load_generators(snapshot, opts))
        return pair, cyclegan_export.config_from_options(opts)
    train, _ = runs.make_datasets(opts)
    config = export.config_from_options(opts, train)
    gen = runs.load_generator(snapshot, opts, len(config['label_names']))
    averaged = runs.generator_prefix(snapshot) == run_files.EMA_PREFIX
    config.update(export.weights_note(opts.get('ema_beta', 0.)
                                      if averaged else 0.))
    return gen, config


def export_from_run(run_dir_or_snapshot, out_path):
    """Writes the export of a run's snapshot; returns its config.

    Args:
        run_dir_or_snapshot (str): As in
            :func:`faceapp.run_files.find_snapshot`.
        out_path (str): Destination npz.
    """
    gen, config = load_from_run(run_dir_or_snapshot)
    if config['model'] == cyclegan_export.MODEL:
        cyclegan_export.export_pair(out_path, gen.gen_ab, gen.gen_ba, config)
    else:
        export.export_generator(out_path, gen, config)
    return config


def _run_export(run_dir, log):
    """The run dir's export if it is a readable one, else None (saying why
    it is passed over)."""
    path = os.path.join(run_dir, run_files.EXPORT_NAME)
    if not os.path.exists(path):
        return None
    if export.is_export(path):
        return path
    why = run_files.snapshot_problem(path) or 'holds no export config'
    _say(log, run_files.skipped_lines([(run_files.EXPORT_NAME, why)],
                                      run_dir))
    return None


def load_model(path, log=None):
    """Loads any model a user may point at.

    Args:
        path (str): An export (``.npz``, or ``.onnx``: run by
            onnxruntime, see :mod:`faceapp.onnx_model`); a run dir (its
            ``generator.npz`` export when present and readable, else its
            newest complete snapshot); or a trainer snapshot.
        log (file or None): Where to say what is loaded (``model: PATH``)
            and which newer files were skipped and why, one line each.

    Returns:
        tuple: ``(generator, config)``: a StarGAN generator, or for a
        CycleGAN model a :class:`~faceapp.cyclegan_export.CycleGANPair`
        (called as ``gen(x, c)`` with ``c`` the target domain; the config's
        ``model`` says which).
    """
    if onnx_export.is_onnx(path) and not os.path.isdir(path):
        _say(log, ['model: {}'.format(path)])
        return onnx_model.load_onnx(path)
    if os.path.isdir(path):
        path = _run_export(path, log) or path
    if os.path.isfile(path):
        if export.is_export(path):
            _say(log, ['model: {}'.format(path)])
            return _load_export(path)
        # Raises for files that are not npz at all, naming them.
        if not any(snapshots.has_key_prefix(path, prefix) for prefix in
                   (run_files.GEN_PREFIXES['gen'],
                    run_files.GEN_PREFIXES['gen_ab'])):
            raise export.UnsafeFileError(
                '{} is neither a generator export nor a trainer snapshot; '
                'pass OUT/{} or OUT/snapshot_iter_N of a train.py run'
                .format(path, run_files.EXPORT_NAME))
    return load_from_run(path, log)


def _load_export(path):
    """An export of either model, read once without pickle."""
    arrays, config = export.read_export(path)
    if isinstance(config, dict) and \
            config.get('model') == cyclegan_export.MODEL:
        return cyclegan_export.from_arrays(arrays, config, path)
    return export.from_arrays(arrays, config, path)
