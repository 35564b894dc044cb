"""Several runs' sample grids side by side, each under its name.

``benchmarks.quality`` writes ``OUT/samples.png`` with this: every
configuration's last ``samples_latest.png`` in one picture, so the rows of
its table can be compared by eye. Runs with the same seed and dataset show
the same held-out faces in the same order, so their rows line up.

    python -m benchmarks.side_by_side OUT.png shared=q/shared/samples_latest.png \\
        per-domain=q/pd/samples_latest.png
"""
import argparse
import os
import sys

from PIL import Image
from PIL import ImageDraw

from datasets import image_grid
from faceapp import outputs

#: Pixels between panels and around the picture.
GAP = 8
#: Height of the strip that holds each panel's name.
LABEL_HEIGHT = 14


def compose(panels, background=(255, 255, 255)):
    """One picture of the panels left to right, each name above its panel.

    Args:
        panels (list of (str, PIL.Image.Image)): Names and pictures; each
            picture is pasted unscaled, top-aligned.
        background (tuple of int): RGB of the gaps.

    Returns:
        PIL.Image.Image: RGB, ``GAP + sum(width + GAP)`` wide and
        ``LABEL_HEIGHT + max(height) + 2 * GAP`` high; panel ``i`` starts
        at ``x = GAP + sum of the widths and gaps before it``,
        ``y = GAP + LABEL_HEIGHT``.
    """
    if not panels:
        raise ValueError('no panels to compose')
    width = GAP + sum(im.width + GAP for _, im in panels)
    height = LABEL_HEIGHT + max(im.height for _, im in panels) + 2 * GAP
    canvas = Image.new('RGB', (width, height), background)
    draw = ImageDraw.Draw(canvas)
    x = GAP
    for name, im in panels:
        draw.text((x, GAP // 2), name, fill=(0, 0, 0))
        canvas.paste(im.convert('RGB'), (x, GAP + LABEL_HEIGHT))
        x += im.width + GAP
    return canvas


def write(named_paths, out_path):
    """Composes the pictures at ``named_paths`` (``[(name, path)]``) into
    ``out_path``, written atomically; pictures that do not exist are left
    out (a run that stopped before its first grid). Returns the names
    shown (none: nothing is written)."""
    panels = []
    for name, path in named_paths:
        if os.path.isfile(path):
            with Image.open(path) as im:
                panels.append((name, im.convert('RGB')))
    if panels:
        image_grid.save_image_atomic(compose(panels), out_path)
    return [name for name, _ in panels]


def _named_path(text):
    name, sep, path = text.partition('=')
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(
            'expected NAME=PATH, got {!r}'.format(text))
    return name, path


def main(argv=None):
    p = argparse.ArgumentParser(
        prog='python -m benchmarks.side_by_side', description=__doc__
        .split('\n')[0])
    p.add_argument('out', help='the picture to write (.png)')
    p.add_argument('panels', nargs='+', type=_named_path,
                   metavar='NAME=PATH', help='a picture and its name')
    args = p.parse_args(argv)
    missing = [path for _, path in args.panels if not os.path.isfile(path)]
    if missing:
        p.error('no such picture: {}'.format(missing[0]))
    try:
        with outputs.write_errors(args.out, 'OUT'):
            write(args.panels, args.out)
    except outputs.OutputError as e:
        print('error: ' + str(e), file=sys.stderr)
        return 1
    print('wrote ' + args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
