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
import sys

from faceapp import devices
devices.preload_cuda_libraries()  # before chainer (below) imports CuPy

from datasets.image_files import DatasetError
from datasets.preparation import faces  # NOQA: E402
from faceapp import export
from faceapp import model_loading
from faceapp import onnx_export
from faceapp import outputs
from faceapp import progress
from faceapp import run_lock
from faceapp import sr_export
from faceapp.snapshots import UnsafeFileError
from faceapp import translate_options
from faceapp import translation
from faceapp import translation_files
from stargan.labels import joint_specs as joint_editing


def parse_args(argv=None):
    """``(parser, args)`` of the command line (the flags:
    :mod:`faceapp.translate_options`)."""
    p = translate_options.build_parser(__doc__)
    return p, p.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    translate_options.check_args(parser, args)
    try:
        if not args.list:
            outputs.check_out_dir(args.out)
        device = devices.get_device(args.gpu)
        device.use()  # --gpu 1: CuPy's own arrays go there too
        gen, config = model_loading.load_model(args.model, sys.stderr)
        layout = joint_editing.layout_for(config)
        if args.list:
            what, text = translate_options.describe(config, layout)
            print('{} of {}: {}'.format(what, args.model, text))
            return 0
        if args.export_onnx:
            print(onnx_export.export_model(args.model, args.export_onnx,
                                           gen, config))
            return 0
        if onnx_export.is_onnx(args.model):
            gen.to_device(device)  # refuses --gpu
        translate_options.check_model_kind(args, config)
        try:
            plan = translate_options.make_plan(layout, args)
        except ValueError as e:
            raise ValueError(str(e) + translate_options.hint(args))
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
