#!/usr/bin/env python
"""Train a small super-resolution network on face crops, for sharp faces
pasted back by translate.py --upscale.

It learns to enlarge faces 2 or 4 times (--scale) from --image-size px:
each face is read at the large size and shrunk as translate.py shrinks a
face for the generator. Without --dataset it learns from the project's own
synthetic faces. The out dir gets sample grids (rows: held-out faces;
columns: the small input, bicubic, the network, the original) as
samples_iter_*.png and samples_latest.png, snapshots, args.json, the loss
curve and, at the end, upscaler.npz for translate.py --upscale.
"""
import os
import sys

os.environ.setdefault('MPLBACKEND', 'Agg')  # headless machines have no display

from faceapp import devices  # NOQA: E402
devices.preload_cuda_libraries()  # before chainer (below) imports CuPy

from faceapp import sr_training  # NOQA: E402


def main(argv=None):
    return sr_training.main(argv, __doc__)


if __name__ == '__main__':
    sys.exit(main())
