#!/usr/bin/env python
"""Turn a folder of raw pictures into a face training set.

Finds the largest face in every picture with an OpenCV cascade (the Haar
frontal-face detector for photos by default; --cascade for others, such as
lbpcascade_animeface.xml for illustrations), cuts a square around it with
some margin, resizes it and writes the result as a folder per domain
(OUT/<domain>/*.png, ready for `train.py --dataset OUT`) or one npz pack
(OUT/pack.npz). Pictures without a face, unreadable ones, and optionally
monochrome pictures and duplicates are left out; OUT/prepare_report.json
says why, per file. OUT appears only when complete.

Example:
  python prepare.py raw/ faces/ --domains-from-folders --dedup --drop-gray
"""
import argparse
import sys

from datasets.image_files import DatasetError
from datasets.preparation import faces
from datasets.preparation import filters
from datasets.preparation import pipeline as prepare_lib
from faceapp import outputs
from faceapp import progress
from faceapp import run_lock


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('src', metavar='SRC', help=(
        'folder of pictures (searched recursively), or with '
        '--domains-from-folders one sub-folder per domain'))
    p.add_argument('out', metavar='OUT', help=(
        'output folder; must not exist yet (or be empty)'))
    p.add_argument('--domains-from-folders', action='store_true', help=(
        'SRC/<domain>/* : each sub-folder of SRC is a domain (label), '
        'mirrored as OUT/<domain>/ (default: all pictures, written flat '
        'into OUT)'))
    p.add_argument('--cascade', metavar='PATH', default=None, help=(
        'OpenCV cascade XML for face detection (default: OpenCV\'s Haar '
        'frontal-face cascade, for photos; e.g. lbpcascade_animeface.xml '
        'for anime illustrations)'))
    p.add_argument('--size', type=int, default=128,
                   help='side of the square output pictures, in pixels '
                   '(default: 128)')
    p.add_argument('--margin', type=float, default=0.25, help=(
        'context kept around each face on every side, as a fraction of the '
        'face size; crops reaching past the picture are shifted inside, or '
        'padded with edge pixels when larger than it (default: 0.25)'))
    p.add_argument('--min-face', type=int, default=32, help=(
        'smallest face side to detect, in source pixels; smaller pictures '
        'are dropped as too small (default: 32)'))
    p.add_argument('--drop-gray', action='store_true', help=(
        'drop monochrome and near-grayscale pictures: mean chroma '
        '(max - min of R, G, B per pixel) below --gray-threshold'))
    p.add_argument('--gray-threshold', type=float,
                   default=filters.GRAY_THRESHOLD, help=(
                       'chroma threshold of --drop-gray, 0-255 (default: '
                       '%(default)s; grey JPEGs score 0-3, colour faces '
                       '20 or more)'))
    p.add_argument('--dedup', action='store_true', help=(
        'drop exact duplicates (same bytes or pixels, anywhere in SRC) and '
        'near duplicates (64-bit dHash within --near-dup-bits, within a '
        'domain) among the pictures the other checks keep (a grey copy '
        'dropped by --drop-gray hides no colour original); the first '
        'picture in sorted order is kept'))
    p.add_argument('--near-dup-bits', type=int,
                   default=filters.NEAR_DUPLICATE_BITS, help=(
                       'largest dHash distance (0-15) of near duplicates; '
                       '-1 drops exact duplicates only (default: '
                       '%(default)s)'))
    p.add_argument('--format', choices=('folder', 'npz'), default='folder',
                   help='folder: OUT/<domain>/*.png; npz: OUT/pack.npz '
                   '(needs --domains-from-folders) (default: folder)')
    p.add_argument('--quiet', action='store_true',
                   help='no progress bar on stderr')
    return p, p.parse_args(argv)


def check_args(parser, args):
    """Rejects impossible values with a message naming the flag."""
    if args.size < 1 or args.min_face < 1:
        parser.error('--size and --min-face must be positive')
    if args.margin < 0:
        parser.error('--margin must be 0 or more, got {}'.format(args.margin))
    if not -1 <= args.near_dup_bits <= 15:
        parser.error('--near-dup-bits must be in -1..15, got {}'.format(
            args.near_dup_bits))


def main(argv=None):
    parser, args = parse_args(argv)
    check_args(parser, args)
    run_lock.tidy(args.out)  # temporary files of a killed run
    try:
        outputs.check_out_dir(args.out, 'OUT')
        picker = prepare_lib.FacePicker(
            faces.load_cascade(args.cascade), size=args.size,
            margin=args.margin, min_face=args.min_face,
            gray_threshold=args.gray_threshold if args.drop_gray else None,
            near_dup_bits=args.near_dup_bits if args.dedup else None)
        bar = None if args.quiet else progress.TextProgress(
            sys.stderr, 'prepare')
        with outputs.write_errors(args.out, 'OUT'):
            report = prepare_lib.prepare(
                args.src, args.out, picker, args.domains_from_folders,
                args.format, bar, options=vars(args))
    except (DatasetError, outputs.OutputError) as e:
        parser.error(str(e))
    print(prepare_lib.summary(report))
    if not report['counts']['kept']:
        print('No face was kept; see the reasons above.', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
