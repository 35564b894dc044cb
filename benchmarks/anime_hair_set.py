"""Build the real development set of docs/QUALITY.md: anime faces by hair colour.

The source is a local copy of a public anime-face collection that comes with
a tag file: a Python dict literal mapping an image number to a caption such
as ``'blonde long hair and purple eyes'`` (``train_tag_dict.txt`` beside a
``data/faces/<number>.jpg`` folder, as in the ``chenllliang/CGAN``
repository). Faces whose caption names exactly one hair colour are linked
(symlinks, nothing is copied) into ``OUT/<colour>/``, the first ``--per-domain``
of each chosen colour by image number, ready for ``train.py --dataset OUT``.
Nothing is downloaded; the caption file is parsed with ``ast.literal_eval``
(no code runs).

    python -m benchmarks.anime_hair_set CGAN/ anime5/ \\
        --colours blonde black pink blue red --per-domain 1000
"""
import argparse
import ast
import collections
import os
import re
import sys

from faceapp import arg_types

#: Hair colours a caption may name.
COLOURS = ('aqua', 'black', 'blonde', 'blue', 'brown', 'gray', 'green',
           'orange', 'pink', 'purple', 'red', 'white')
#: "<colour> hair", "<colour> long hair", "<colour> short hair".
_HAIR = re.compile(r'(\w+) (?:long |short )?hair')


def hair_colour(caption):
    """The one hair colour a caption names, or None (none, or several).

    Args:
        caption (str): e.g. ``'red short hair and blue eyes'``.

    Returns:
        str or None: e.g. ``'red'``.
    """
    named = {w for w in _HAIR.findall(caption) if w in COLOURS}
    return named.pop() if len(named) == 1 else None


def read_captions(path):
    """Image number -> caption, from the tag file (a dict literal).

    Raises:
        ValueError: The file is not a dict literal of numbers to strings.
    """
    with open(path, encoding='utf-8') as f:
        text = f.read()
    try:
        tags = ast.literal_eval(text)
    except (ValueError, SyntaxError) as e:
        raise ValueError('{} is not a Python dict literal ({})'.format(
            path, e))
    if not isinstance(tags, dict) or not all(
            isinstance(k, int) and isinstance(v, str)
            for k, v in tags.items()):
        raise ValueError('{} must map image numbers to captions'.format(path))
    return tags


def choose(tags, colours, per_domain, faces_dir):
    """The faces to link: colour -> sorted image paths that exist."""
    chosen = collections.defaultdict(list)
    for number in sorted(tags):
        colour = hair_colour(tags[number])
        path = os.path.join(faces_dir, '{}.jpg'.format(number))
        if colour in colours and len(chosen[colour]) < per_domain \
                and os.path.isfile(path):
            chosen[colour].append(path)
    return chosen


def link_set(chosen, out):
    """Symlinks ``OUT/<colour>/<name>`` to each chosen face."""
    for colour, paths in chosen.items():
        folder = os.path.join(out, colour)
        os.makedirs(folder)
        for path in paths:
            os.symlink(os.path.abspath(path),
                       os.path.join(folder, os.path.basename(path)))


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=arg_types.HelpFormatter)
    p.add_argument('src', help='the collection: holds train_tag_dict.txt '
                   'and data/faces/<number>.jpg')
    p.add_argument('out', help='output folder (must not exist)')
    p.add_argument('--colours', nargs='+', choices=COLOURS,
                   default=['blonde', 'black', 'pink', 'blue', 'red'],
                   help='hair colours to keep, one domain each')
    p.add_argument('--per-domain', type=int, default=1000,
                   help='faces per colour at most')
    return p, p.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    tag_file = os.path.join(args.src, 'train_tag_dict.txt')
    faces_dir = os.path.join(args.src, 'data', 'faces')
    if not os.path.isfile(tag_file) or not os.path.isdir(faces_dir):
        parser.error('{} must hold train_tag_dict.txt and data/faces/'.format(
            args.src))
    if os.path.exists(args.out):
        parser.error('{} exists: give a new folder'.format(args.out))
    if args.per_domain < 1:
        parser.error('--per-domain must be positive')
    try:
        chosen = choose(read_captions(tag_file), set(args.colours),
                        args.per_domain, faces_dir)
    except ValueError as e:
        parser.error(str(e))
    link_set(chosen, args.out)
    for colour in args.colours:
        print('{:8s} {:5d} faces'.format(colour, len(chosen[colour])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
