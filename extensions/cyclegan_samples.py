"""Sample grids of a CycleGAN run: fixed inputs of both domains, their
translations, cycle reconstructions and identity mappings."""
import os

import numpy

import chainer
from chainer import training

from datasets import image_grid as image_utils
from datasets.unaligned import domain_indices
from stargan.forward import forward_in_batches


def pick_domain_samples(dataset, domains, n, seed, fallback=None):
    """``n`` fixed images of each of two domains, for sample grids.

    Args:
        dataset: Labelled dataset (usually the test split).
        domains (sequence of str): Two label names.
        n (int): Images per domain (at most).
        seed (int): Which ones, reproducibly.
        fallback: Dataset to take a domain's images from when ``dataset``
            has none of it (a tiny test split).

    Returns:
        tuple: float32 ``(n_a, 3, S, S)`` and ``(n_b, 3, S, S)`` images,
        ``n_x = min(n, images of domain x)``.
    """
    rng = numpy.random.RandomState(seed)
    out = []
    for name in domains:
        source = dataset
        idx = domain_indices(source, name)
        if not len(idx) and fallback is not None:
            source = fallback
            idx = domain_indices(source, name)
        if not len(idx):
            raise ValueError('no {!r} images to show in sample grids'.format(
                name))
        idx = rng.permutation(idx)[:n]
        out.append(numpy.stack([source[int(i)][0] for i in idx]))
    return tuple(out)


def _translate(gen, x, device):
    return forward_in_batches(gen, (x,), device, len(x))


class CycleGANSampleGrid(training.Extension):
    """Saves ``samples_iter_<iteration>.png`` and ``samples_latest.png``.

    Columns: real_A, fake_B, rec_A, idt_B, real_B, fake_A, rec_B, idt_A
    (the CycleGAN code's names: ``fake_B = G_AB(real_A)``, ``rec_A =
    G_BA(fake_B)``, ``idt_B = G_BA(real_A)``); one row per fixed input
    pair. Kinds are columns because :func:`datasets.image_grid.tile_grid`
    labels columns.

    Args:
        gen_ab (callable): A to B generator.
        gen_ba (callable): B to A generator.
        x_a (numpy.ndarray): float32 ``(N_a, 3, S, S)`` fixed A images.
        x_b (numpy.ndarray): float32 ``(N_b, 3, S, S)`` fixed B images.
        device: ``chainer.get_device`` specifier of the generators.
        out_dir (str): Where to write; None: the trainer's out dir.
    """

    priority = training.PRIORITY_READER
    NAMES = ('real_A', 'fake_B', 'rec_A', 'idt_B', 'real_B', 'fake_A',
             'rec_B', 'idt_A')

    def __init__(self, gen_ab, gen_ba, x_a, x_b, device='@numpy',
                 out_dir=None):
        n = min(len(x_a), len(x_b))
        self.gen_ab, self.gen_ba = gen_ab, gen_ba
        self.x_a, self.x_b = x_a[:n], x_b[:n]
        self.device, self.out_dir = chainer.get_device(device), out_dir

    def render(self):
        """Builds the grid now; returns a ``PIL.Image.Image``."""
        columns = []
        for x, fwd, back in ((self.x_a, self.gen_ab, self.gen_ba),
                             (self.x_b, self.gen_ba, self.gen_ab)):
            fake = _translate(fwd, x, self.device)
            columns += [x, fake, _translate(back, fake, self.device),
                        _translate(back, x, self.device)]
        cells = numpy.stack([image_utils.to_uint8(c) for c in columns], 1)
        return image_utils.tile_grid(cells, self.NAMES)

    def __call__(self, trainer):
        out_dir = self.out_dir or trainer.out
        grid = self.render()
        image_utils.save_image_atomic(grid, os.path.join(
            out_dir, 'samples_iter_{:08d}.png'.format(
                trainer.updater.iteration)))
        image_utils.save_image_atomic(
            grid, os.path.join(out_dir, 'samples_latest.png'))
