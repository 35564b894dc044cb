"""Build the smile development set of docs/QUALITY.md: photos, smile or not.

The source is a local copy of the public ``hromi/SMILEsmileD`` repository:
64 px grey face photos in ``SMILEs/positives/positives7/`` (smiling) and
``SMILEs/negatives/negatives7/`` (not smiling). The first ``--per-domain``
of each, by file name, are linked (symlinks, nothing is copied) into
``OUT/smile/`` and ``OUT/neutral/``, ready for ``train.py --dataset OUT``.
Nothing is downloaded.

    python -m benchmarks.smile_set SMILEsmileD/ smile/ --per-domain 1500
"""
import argparse
import os
import sys

from benchmarks.anime_hair_set import link_set
from faceapp import arg_types

#: Domain folder -> its pictures' folder inside the repository.
SOURCES = (('smile', os.path.join('SMILEs', 'positives', 'positives7')),
           ('neutral', os.path.join('SMILEs', 'negatives', 'negatives7')))


def choose(src, per_domain):
    """Domain -> the first ``per_domain`` picture paths, by file name.

    Args:
        src (str): The repository's folder.
        per_domain (int): Pictures per domain at most.

    Returns:
        dict: ``{'smile': [path, ...], 'neutral': [...]}``.
    """
    chosen = {}
    for domain, sub in SOURCES:
        folder = os.path.join(src, sub)
        names = sorted(n for n in os.listdir(folder)
                       if n.lower().endswith('.jpg'))
        chosen[domain] = [os.path.join(folder, n) for n in names[:per_domain]]
    return chosen


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=arg_types.HelpFormatter)
    p.add_argument('src', help='the repository: holds SMILEs/positives/'
                   'positives7/ and SMILEs/negatives/negatives7/')
    p.add_argument('out', help='output folder (must not exist)')
    p.add_argument('--per-domain', type=int, default=1500,
                   help='pictures per domain at most')
    return p, p.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    missing = [sub for _, sub in SOURCES
               if not os.path.isdir(os.path.join(args.src, sub))]
    if missing:
        parser.error('{} must hold {}'.format(args.src, missing[0]))
    if os.path.exists(args.out):
        parser.error('{} exists: give a new folder'.format(args.out))
    if args.per_domain < 1:
        parser.error('--per-domain must be positive')
    chosen = choose(args.src, args.per_domain)
    link_set(chosen, args.out)
    for domain, paths in chosen.items():
        print('{:8s} {:5d} pictures'.format(domain, len(paths)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
