#!/usr/bin/env python
"""Edit the faces in your own pictures with a trained StarGAN or CycleGAN.

Finds every face (OpenCV's Haar frontal-face detector for photos; --cascade
for others, e.g. lbpcascade_animeface.xml for illustrations; --no-detect for
pictures that already are face crops), cuts it out as prepare.py does,
translates it at the model's size and pastes it back with a soft edge, so
the picture keeps its size. Folders are searched recursively and mirrored
under --out. Results are PNG (interpolations also an animated GIF).

A CycleGAN model (train.py --model cyclegan) holds the two generators of
its pair of domains: --target names the output domain (the generator into
it is used, whatever the picture shows), --all writes the input and its
translation into each of the two domains; --interpolate, --source and
--steps need a StarGAN model.

Put the pictures before --target / --interpolate / --source (those take
several words), or write -- after the labels and only pictures after it.

Examples:
  python translate.py me.jpg --model result/generator.npz --target smile
  python translate.py photos/ --model result --target Blond_Hair=1 Male=0
  python translate.py crops/ --model result --no-detect --all
  python translate.py me.jpg --model result --source neutral \\
      --interpolate smile --steps 5
  python translate.py --model result --list
  python translate.py me.jpg --model cyclegan_run --target anime
  python translate.py --model result --export-onnx generator.onnx
  python translate.py me.jpg --model generator.onnx --target smile
  python translate.py me.jpg --model result --target smile \\
      --upscale result_sr/upscaler.npz
"""
import argparse
import os
import sys

import numpy

from faceapp import devices
devices.preload_cuda_libraries()  # before chainer (below) imports CuPy

from datasets.image_files import DatasetError
from datasets.preparation import faces  # NOQA: E402
from faceapp import cyclegan_export
from faceapp import export
from faceapp import model_loading
from faceapp import onnx_export
from faceapp import outputs
from faceapp import progress
from faceapp import run_lock
from faceapp import sr_export
from faceapp.snapshots import UnsafeFileError
from faceapp import translation
from faceapp import translation_files
from stargan.labels import joint_specs as joint_editing
from stargan.labels import specs as label_specs


#: Points of --interpolate without --steps.
DEFAULT_STEPS = 5
#: Options that only a StarGAN model (a label vector) gives a meaning.
STARGAN_ONLY = (('interpolate', '--interpolate'), ('source', '--source'),
                ('steps', '--steps'))


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
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
    faces_.add_argument('--min-face', type=int, default=32,
                        help='smallest face side in pixels (default: 32)')
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
    run.add_argument('--batch-size', type=int, default=16,
                     help='faces per generator pass (default: 16)')
    run.add_argument('--gpu', type=int, default=-1,
                     help='GPU id (needs CuPy and CUDA); -1: CPU (default)')
    run.add_argument('--quiet', action='store_true',
                     help='no progress bar on stderr')
    return p, p.parse_args(argv)


def check_args(parser, args):
    """Rejects impossible flag values, naming the flag."""
    if args.list or args.export_onnx:
        return
    if not (args.target or args.all or args.interpolate):
        parser.error('choose what to make: --target, --all or --interpolate')
    if not args.inputs:
        parser.error('give at least one picture or folder' + _hint(args))
    if args.steps is not None and args.steps < 2:
        parser.error('--steps must be at least 2, got {}'.format(args.steps))
    if args.batch_size < 1 or args.min_face < 1:
        parser.error('--batch-size and --min-face must be positive')
    if (args.margin is not None and args.margin < 0) or \
            not 0 <= args.feather <= 0.5:
        parser.error('--margin must be >= 0 and --feather in [0, 0.5]')


def _hint(args):
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


def main(argv=None):
    parser, args = parse_args(argv)
    check_args(parser, args)
    try:
        if not args.list:
            outputs.check_out_dir(args.out)
        device = devices.get_device(args.gpu)
        device.use()  # --gpu 1: CuPy's own arrays go there too
        gen, config = model_loading.load_model(args.model, sys.stderr)
        layout = joint_editing.layout_for(config)
        if args.list:
            what, text = describe(config, layout)
            print('{} of {}: {}'.format(what, args.model, text))
            return 0
        if args.export_onnx:
            print(onnx_export.export_model(args.model, args.export_onnx,
                                           gen, config))
            return 0
        if onnx_export.is_onnx(args.model):
            gen.to_device(device)  # refuses --gpu
        check_model_kind(args, config)
        try:
            plan = make_plan(layout, args)
        except ValueError as e:
            raise ValueError(str(e) + _hint(args))
        finder = translation.FaceBoxes(
            None if args.no_detect else faces.load_cascade(args.cascade),
            config.get('face_margin', export.DEFAULT_FACE_MARGIN)
            if args.margin is None else args.margin, args.min_face,
            args.largest)
        upscale = None if args.upscale is None else sr_export.open_upscaler(
            args.upscale, device, args.batch_size)
    except (DatasetError, UnsafeFileError, ValueError,
            outputs.OutputError) as e:
        parser.error(str(e))
    inputs = translation_files.list_inputs(args.inputs, exclude=args.out)
    if not inputs:
        parser.error('no pictures found in {}'.format(' '.join(args.inputs)))
    run_lock.tidy(args.out)  # temporary files of a killed run
    try:
        written, failures = translation.run(
            inputs, args.out, plan, finder,
            translation.Translator(gen, device, args.batch_size),
            config['image_size'], args.feather, args.keep_unmatched,
            args.batch_size,
            None if args.quiet else progress.TextProgress(sys.stderr,
                                                            'translate'),
            upscale=upscale)
    except outputs.OutputError as e:
        parser.error(str(e))
    print('Wrote {} file(s) to {}.'.format(len(written), args.out))
    if failures:
        print('{} of {} picture(s) failed (reasons above).'.format(
            len(failures), len(inputs)), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
