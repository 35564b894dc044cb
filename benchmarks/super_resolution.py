"""PSNR and SSIM of super-resolution against bicubic on held-out faces.

Run it as ``python -m benchmarks.super_resolution --model OUT/upscaler.npz``
(one or more models). Each face is shrunk as translate.py shrinks a face for
the generator, then enlarged back by bicubic interpolation (what
translate.py does without ``--upscale``) and by the network, and both are
compared with the original. By default the faces are the ones each model's
training held out (its config names them); ``--dataset`` measures on any
folder of face pictures instead (all of them with ``--split all``).
"""
import argparse
import sys

import numpy

from datasets.image_files import DatasetError
from datasets import image_grid
from extensions import sr_samples
from faceapp import devices
from faceapp import sr_export
from faceapp import sr_training
from faceapp.snapshots import UnsafeFileError
from stargan.metrics import fidelity


def held_out(config, dataset=None, split='test', limit=None):
    """The ``(low, high)`` float32 arrays a model is measured on.

    Args:
        config (dict): The model's config (:mod:`faceapp.sr_export`).
        dataset (str or None): Another ``--dataset`` value; None: the
            model's own, split as its training split it.
        split (str): ``'test'`` or ``'all'`` (of ``dataset``).
        limit (int or None): At most this many faces.

    Returns:
        tuple: float32 ``(N, 3, S, S)`` and ``(N, 3, fS, fS)`` in [-1, 1].
    """
    opts = dict(config, n_train=1, dataset=dataset or config['dataset'])
    pairs = sr_training.make_pairs(opts, split)
    n = len(pairs) if limit is None else min(limit, len(pairs))
    low, high = zip(*[pairs[i] for i in range(n)])
    return numpy.stack(low), numpy.stack(high)


def measure(net, config, low, high, device):
    """Mean PSNR (dB) and SSIM of bicubic and of the network.

    Returns:
        dict: ``{'bicubic': (psnr, ssim), 'sr': (psnr, ssim)}``.
    """
    truth = image_grid.to_uint8(high)
    side = truth.shape[1]
    guesses = {
        'bicubic': sr_samples.bicubic(image_grid.to_uint8(low), side),
        'sr': image_grid.to_uint8(sr_samples.enlarge(net, low, device))}
    return {k: (float(numpy.mean(fidelity.psnr(g, truth))),
                float(numpy.mean(fidelity.ssim(g, truth))))
            for k, g in guesses.items()}


def table(rows):
    """Markdown lines of ``(model, faces, n, results)`` rows."""
    lines = ['| model | faces | n | bicubic PSNR | SR PSNR | bicubic SSIM '
             '| SR SSIM |', '|---|---|---|---|---|---|---|']
    for name, faces, n, r in rows:
        lines.append('| {} | {} | {} | {:.2f} dB | {:.2f} dB | {:.4f} | '
                     '{:.4f} |'.format(name, faces, n, r['bicubic'][0],
                                       r['sr'][0], r['bicubic'][1],
                                       r['sr'][1]))
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=(
        argparse.RawDescriptionHelpFormatter))
    p.add_argument('--model', nargs='+', required=True, metavar='PATH',
                   help='upscaler.npz files (or train_sr.py out dirs)')
    p.add_argument('--dataset', default=None, metavar='PATH', help=(
        'faces to measure on: any folder of face pictures, a pack or '
        'synthetic (default: each model\'s own held-out faces)'))
    p.add_argument('--split', choices=('test', 'all'), default='test',
                   help='of --dataset: its held-out part or all of it')
    p.add_argument('--n', type=int, default=None,
                   help='at most this many faces')
    p.add_argument('--gpu', type=int, default=-1)
    args = p.parse_args(argv)
    try:
        device = devices.get_device(args.gpu)
        rows = []
        for path in args.model:
            net, config = sr_export.load(path)
            net.to_device(device)
            low, high = held_out(config, args.dataset, args.split, args.n)
            faces = '{} {} -> {} px'.format(
                args.dataset or config['dataset'], low.shape[-1],
                high.shape[-1])
            rows.append(('x{} ({})'.format(config['scale'], path), faces,
                         len(low), measure(net, config, low, high, device)))
    except (DatasetError, UnsafeFileError, ValueError) as e:
        p.error(str(e))
    print('\n'.join(table(rows)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
