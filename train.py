#!/usr/bin/env python
"""Train StarGAN to translate faces between domains (expressions, hair, ...).

Without --dataset it trains on procedurally drawn anime faces (five
expressions) that the project generates itself, so `python train.py` works on
a fresh machine with no download. Sample grids (rows: fixed test faces;
columns: the input, then every target domain) appear in the out dir as
samples_iter_*.png and samples_latest.png, loss curves as loss_*.png.
"""
import os
import sys

os.environ.setdefault('MPLBACKEND', 'Agg')  # headless machines have no display

from faceapp import devices  # NOQA: E402
devices.preload_cuda_libraries()  # before chainer (below) imports CuPy

from faceapp import train_options  # NOQA: E402
from faceapp import training  # NOQA: E402


def parse_args(argv=None):
    """Returns the parser and the parsed arguments."""
    p = train_options.build_parser(__doc__)
    return p, p.parse_args(argv)


def main(argv=None):
    return training.main(argv, __doc__)


if __name__ == '__main__':
    sys.exit(main())
