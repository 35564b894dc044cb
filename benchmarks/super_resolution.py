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
from datasets.image_files import read_image
from datasets import image_grid
from datasets.preparation import faces
from datasets import transforms
from extensions import sr_samples
from faceapp import devices
from faceapp import sr_export
from faceapp import sr_training
from faceapp import translation
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
    for name, source, n, r in rows:
        lines.append('| {} | {} | {} | {:.2f} dB | {:.2f} dB | {:.4f} | '
                     '{:.4f} |'.format(name, source, n, r['bicubic'][0],
                                       r['sr'][0], r['bicubic'][1],
                                       r['sr'][1]))
    return lines


class _Unchanged(object):
    """A translator returning each face as it gets it, so that a figure
    shows only what pasting back from the model's size does."""

    def __call__(self, crops, labels):
        return crops


def paste_figure(photo, upscaler, size, margin=0.25):
    """Before/after of the largest face of a photo pasted back from
    ``size`` px: bicubic (what translate.py does without ``--upscale``)
    beside the network, then the original.

    Args:
        photo (numpy.ndarray): uint8 ``(H, W, 3)``.
        upscaler (~faceapp.sr_export.Upscaler): The network.
        size (int): The generator's size the face is cut at.
        margin (float): Face margin, as translate.py's default.

    Returns:
        PIL.Image.Image: Three labelled cells of the face's box.
    """
    finder = translation.FaceBoxes(faces.load_cascade(), margin,
                                   largest=True)
    boxes = finder(photo)
    if not boxes:
        raise ValueError('no face found in the photo for --figure')
    label = numpy.zeros((1, 1), numpy.float32)
    cells = []
    for upscale in (None, upscaler):
        pasted = translation.edit_pictures(
            [(photo, boxes)], label, _Unchanged(), size, 0.12, upscale)
        cells.append(transforms.crop_box(pasted[0][0], boxes[0]))
    cells.append(transforms.crop_box(photo, boxes[0]))
    side = cells[0].shape[0]
    return image_grid.tile_grid(
        numpy.stack(cells)[None], ['bicubic from {} px'.format(size),
                                   'x{} SR, then resized'.format(
                                       upscaler.scale), 'original'],
        cell_size=side)


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
    p.add_argument('--figure', nargs=3, metavar=('PHOTO', 'SIZE', 'OUT'),
                   help=('also write OUT (PNG): the largest face of PHOTO '
                         'cut at SIZE px and pasted back, bicubic beside '
                         'the first --model'))
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
        if args.figure:
            photo, size, out = args.figure
            net, _ = sr_export.load(args.model[0])
            image_grid.save_image_atomic(paste_figure(
                read_image(photo), sr_export.Upscaler(net, device),
                int(size)), out)
    except (DatasetError, UnsafeFileError, ValueError) as e:
        p.error(str(e))
    print('\n'.join(table(rows)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
