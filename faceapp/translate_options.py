"""Command-line options of ``translate.py``: its flags (two of them shared
with ``demo.py``), their checks, and the labels they ask for
(:func:`make_plan`). The script calls these; nothing below it sees them."""
import argparse
import os

import numpy

from faceapp import cyclegan_export
from faceapp import translation
from faceapp import translation_files
from stargan.labels import specs as label_specs


#: Points of --interpolate without --steps.
DEFAULT_STEPS = 5
#: Options that only a StarGAN model (a label vector) gives a meaning.
STARGAN_ONLY = (('interpolate', '--interpolate'), ('source', '--source'),
                ('steps', '--steps'))


def build_parser(description):
    """The argument parser of ``translate.py``.

    Args:
        description (str): The script's help text (its examples).

    Returns:
        argparse.ArgumentParser
    """
    p = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('inputs', nargs='*', metavar='INPUT', help=(
        'pictures and folders of pictures (any size; grey, palette, RGBA '
        'and 16-bit pictures are read as RGB)'))
    p.add_argument('--model', required=True, metavar='PATH', help=(
        'an export (generator.npz written by train.py), a run dir of '
        'train.py (its generator.npz, else its latest snapshot), or a '
        'trainer snapshot inside a run dir (args.json beside it); from a '
        'snapshot, the average of G\'s weights is used when the run kept '
        'one (--ema-beta), as in generator.npz. A StarGAN model written '
        'by --export-onnx (a .onnx file) runs with onnxruntime on the CPU '
        '(the onnx extra), through the same detect, crop, translate and '
        'paste-back'))
    what = p.add_mutually_exclusive_group()
    what.add_argument('--target', nargs='+', metavar='LABEL', help=(
        'the target: a domain name (--target smile) or, for multi-label '
        'models, NAME=VALUE pairs (--target Blond_Hair=1 Male=0) or '
        'GROUP=VALUE (--target hair=blond); setting one value of an '
        'exclusive group clears the others. Writes OUT/NAME_<target>.png, '
        'e.g. OUT/me_smile.png (label words joined by _), so other '
        'targets never overwrite it'))
    what.add_argument('--all', action='store_true', help=(
        'one labelled grid per picture: the input, then every domain (for '
        'multi-label models, every single-attribute edit of --source). '
        'Writes OUT/NAME_all.png'))
    what.add_argument('--interpolate', nargs='+', metavar='LABEL', help=(
        'a strip from --source to this target (same syntax as --target), '
        'moving the label vector in --steps even steps. Writes '
        'OUT/NAME_interp_<target>.png and a looping .gif'))
    p.add_argument('--source', nargs='+', metavar='LABEL', help=(
        'what the pictures show, same syntax as --target (e.g. --source '
        'neutral, or --source Black_Hair Male=1). Needed by --interpolate '
        'on single-label models (the model cannot tell); for multi-label '
        'models it gives every attribute the target leaves unnamed '
        '(default: binary attributes 0, each exclusive group its first '
        'value). Output names then end in _from_<source>, e.g. '
        'OUT/me_smile_from_neutral.png'))
    p.add_argument('--steps', type=int, default=None, help=(
        'points of --interpolate, ends included (default: {})'.format(
            DEFAULT_STEPS)))
    p.add_argument('--list', action='store_true',
                   help='print the model\'s labels and exit')
    p.add_argument('--export-onnx', metavar='PATH.onnx', help=(
        'write the StarGAN generator of --model as an ONNX file and exit '
        '(needs the onnx extra). Here rather than in a script of its own '
        'because --model already finds the generator translate.py would '
        'run (an export, a run dir\'s generator.npz or latest snapshot, '
        'the weight average when the run kept one), so the .onnx holds '
        'exactly that one, and --model PATH.onnx runs it back. Inputs '
        '"image" float32 (N, 3, S, S) RGB in [-1, 1] and "label" float32 '
        '(N, L) in --list\'s order; output "translation" in [-1, 1]'))
    p.add_argument('--out', default='translated', metavar='DIR',
                   help='output folder (default: translated)')
    faces_ = p.add_argument_group('faces')
    faces_.add_argument('--cascade', metavar='PATH', help=(
        'OpenCV cascade XML to detect faces with (default: the Haar '
        'frontal-face cascade of opencv-python, for photos; e.g. '
        'lbpcascade_animeface.xml for anime)'))
    faces_.add_argument('--no-detect', action='store_true', help=(
        'the pictures are face crops: translate the centred square of each, '
        'as the training data was cropped'))
    faces_.add_argument('--largest', action='store_true',
                        help='edit only the largest face of each picture')
    faces_.add_argument('--margin', type=float, default=None, help=(
        'context around each face per side, as a fraction of the face '
        '(default: the model\'s, i.e. what prepare.py used, normally 0.25)'))
    add_min_face_option(faces_)
    faces_.add_argument('--feather', type=float, default=0.12, help=(
        'width of the soft edge of each pasted face, as a fraction of its '
        'crop (default: 0.12)'))
    faces_.add_argument('--upscale', metavar='SR_MODEL', help=(
        'upscaler.npz of train_sr.py (or its out dir): each translated face '
        'placed larger than the model\'s size is enlarged by it (2x or 4x, '
        'as the file says) before it is resized to its place, so it is not '
        'a blurry patch'))
    faces_.add_argument('--keep-unmatched', action='store_true', help=(
        'write pictures in which no face is found unchanged (default: '
        'report them and exit non-zero)'))
    run = p.add_argument_group('run')
    add_device_options(run)
    run.add_argument('--quiet', action='store_true',
                     help='no progress bar on stderr')
    return p


def add_min_face_option(group):
    """``--min-face``, shared with ``demo.py``."""
    group.add_argument('--min-face', type=int, default=32,
                       help='smallest face side in pixels (default: 32)')


def add_device_options(group):
    """``--batch-size`` (faces per generator pass) and ``--gpu``, shared
    with ``demo.py``."""
    group.add_argument('--batch-size', type=int, default=16,
                       help='faces per generator pass (default: 16)')
    group.add_argument('--gpu', type=int, default=-1,
                       help='GPU id (needs CuPy and CUDA); -1: CPU (default)')


def check_args(parser, args):
    """Rejects impossible flag values, naming the flag."""
    if args.list or args.export_onnx:
        return
    if not (args.target or args.all or args.interpolate):
        parser.error('choose what to make: --target, --all or --interpolate')
    if not args.inputs:
        parser.error('give at least one picture or folder' + hint(args))
    if args.steps is not None and args.steps < 2:
        parser.error('--steps must be at least 2, got {}'.format(args.steps))
    if args.batch_size < 1 or args.min_face < 1:
        parser.error('--batch-size and --min-face must be positive')
    if (args.margin is not None and args.margin < 0) or \
            not 0 <= args.feather <= 0.5:
        parser.error('--margin must be >= 0 and --feather in [0, 0.5]')


def hint(args):
    """Explains pictures swallowed by a several-word label flag."""
    words = (args.target or args.interpolate or []) + (args.source or [])
    if any(os.path.exists(w) for w in words):
        return ('; it looks like pictures were read as labels: put them '
                'before --target/--interpolate/--source, or write -- after '
                'the labels and only pictures after it')
    return ''


def _parse(layout, flag, words, base=None):
    """``layout.parse`` whose errors name the flag the words came from."""
    try:
        return layout.parse(words, base)
    except ValueError as e:
        raise ValueError('{}: {}'.format(flag, e))


def make_plan(layout, args):
    """The labels to translate to, from --target/--all/--interpolate.

    Raises:
        ValueError: A label the model does not have (listing the valid ones)
            or --interpolate without a needed --source.
    """
    base = _parse(layout, '--source', args.source) if args.source else None
    if args.target:
        return translation.Plan(
            'target', _parse(layout, '--target', args.target, base)[None],
            [' '.join(args.target)], translation_files.name_suffix(
                'target', args.target, args.source))
    if args.all:
        pairs = layout.all_targets(layout.default() if base is None
                                   else base)
        return translation.Plan(
            'all', numpy.stack([c for _, c in pairs]), [n for n, _ in pairs],
            translation_files.name_suffix('all', source=args.source))
    if base is None and not layout.multi_label:
        raise ValueError(
            '--interpolate needs --source on a single-label model: it cannot '
            'tell what your picture shows, and the strip starts there. '
            'Choose one of: ' + layout.describe())
    source = layout.default() if base is None else base
    steps = args.steps or DEFAULT_STEPS
    labels = label_specs.interpolate_labels(
        source, _parse(layout, '--interpolate', args.interpolate, source),
        steps)
    captions = ['{:.2f}'.format(k / (steps - 1.)) for k in range(steps)]
    captions[0] = ' '.join(args.source or ['source'])
    captions[-1] = ' '.join(args.interpolate)
    return translation.Plan('interpolate', labels, captions,
                            translation_files.name_suffix(
                                'interpolate', args.interpolate, args.source))


def check_model_kind(args, config):
    """Raises ValueError for StarGAN-only options given a CycleGAN model.
    """
    if config.get('model') != cyclegan_export.MODEL:
        return
    given = [flag for key, flag in STARGAN_ONLY
             if getattr(args, key) is not None]
    if given:
        raise ValueError(
            '{} {} a StarGAN model; {} is a CycleGAN ({}): use --target '
            '{} or --all'.format(
                ' and '.join(given), 'needs' if len(given) == 1 else 'need',
                args.model, ' and '.join(d[0] for d in config['directions']),
                ' or --target '.join(config['domains'])))


def describe(config, layout):
    """``(what, text)`` --list prints about a model's labels."""
    if config.get('model') == cyclegan_export.MODEL:
        return 'domains', '{} (directions {}; --target names the output ' \
            'domain)'.format(', '.join(config['domains']), ', '.join(
                d[0] for d in config['directions']))
    return 'labels', layout.describe()
