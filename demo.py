#!/usr/bin/env python
"""A local web page to edit the faces of your photos with a trained model.

Starts a web server on 127.0.0.1 (this computer only) and prints its
address: open it in a browser, upload or drop a photo, tick the target
domains and see the photo with every face found, translated and pasted back
(translate.py's pipeline). "Gallery" shows every domain at once; for a
StarGAN model a slider sets the strength of the edit (0: the source label,
1: the target) and "the photo shows" names the source. Switch on "treat as
a face crop" for pictures that already are face crops. Nothing is loaded
from other hosts; Ctrl-C stops the server.

Examples:
  python demo.py --model result          # open http://127.0.0.1:8000/
  python demo.py --model result/generator.npz --port 8080
  python demo.py --model cyclegan_run --cascade lbpcascade_animeface.xml
"""
import argparse
import signal
import sys

from faceapp import devices
devices.preload_cuda_libraries()  # before chainer (below) imports CuPy

from datasets.image_files import DatasetError  # NOQA: E402
from datasets.preparation import faces
from faceapp import demo
from faceapp import demo_server
from faceapp import model_loading
from faceapp.snapshots import UnsafeFileError
from faceapp import translate_options

DEFAULT_PORT = 8000


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--model', required=True, metavar='PATH', help=(
        'as translate.py\'s --model: an export (generator.npz), a run dir '
        'of train.py (its generator.npz, else its latest snapshot) or a '
        'trainer snapshot; StarGAN or CycleGAN'))
    p.add_argument('--port', type=int, default=DEFAULT_PORT, help=(
        'TCP port on 127.0.0.1 (default: {}; 0: any free port, printed)'
        .format(DEFAULT_PORT)))
    p.add_argument('--cascade', metavar='PATH', help=(
        'OpenCV cascade XML to detect faces with (default: the Haar '
        'frontal-face cascade, for photos)'))
    translate_options.add_min_face_option(p)
    translate_options.add_device_options(p)
    p.add_argument('--quiet', action='store_true',
                   help='do not log each request on stderr')
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error('--port must be in 0..65535, got {}'.format(args.port))
    if args.min_face < 1 or args.batch_size < 1:
        p.error('--min-face and --batch-size must be positive')
    return p, args


def main(argv=None):
    parser, args = parse_args(argv)
    try:
        device = devices.get_device(args.gpu)
        device.use()
        gen, config = model_loading.load_model(args.model, sys.stderr)
        model = demo.DemoModel(gen, config, device,
                               faces.load_cascade(args.cascade),
                               args.batch_size, min_face=args.min_face)
    except (DatasetError, UnsafeFileError, ValueError) as e:
        parser.error(str(e))
    try:
        server = demo_server.make_server(
            model, args.port, None if args.quiet else sys.stderr)
    except OSError as e:
        parser.error('--port {}: cannot listen on 127.0.0.1 ({}); choose '
                     'another port, or 0 for any free one'.format(
                         args.port, e.strerror or e))
    print('Demo of {} on http://127.0.0.1:{}/ (Ctrl-C stops it)'.format(
        args.model, server.server_port), flush=True)
    # A program started as a background job of a shell without job control
    # (`cmd &` in a script, nohup) inherits SIGINT ignored; Ctrl-C and
    # `kill -INT` must stop the server all the same, as they stop train.py.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print('Stopped.')
    finally:
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
