"""Sample grids of super-resolution training: bicubic vs the network vs the
original, on fixed held-out faces."""
import os

import numpy

import chainer
from chainer import training

from datasets import image_grid
from datasets import transforms
from stargan.conv import functions as conv

#: The grid's columns.
COLUMNS = ('input', 'bicubic', 'SR', 'original')


def enlarge(net, low, device, batch_size=16):
    """Runs a super-resolution network on fixed parameters, in batches.

    Args:
        net (~stargan.models.sr.SuperResolution): The network (on
            ``device``).
        low (numpy.ndarray): float32 ``(N, 3, S, S)`` in [-1, 1].
        device (chainer.backend.Device): Where ``net`` lives.
        batch_size (int): Pictures per forward pass.

    Returns:
        numpy.ndarray: float32 ``(N, 3, fS, fS)``, not clipped.
    """
    cpu, out = chainer.backend.CpuDevice(), []
    with conv.translating():
        for s in range(0, len(low), batch_size):
            out.append(cpu.send(net(device.send(
                numpy.asarray(low[s:s + batch_size], numpy.float32))).array))
    return numpy.concatenate(out)


def bicubic(low, side):
    """uint8 ``(N, side, side, 3)``: uint8 ``(N, S, S, 3)`` enlarged as
    translate.py enlarges without a network (:func:`datasets.transforms.
    resize`)."""
    return numpy.stack([transforms.resize(im, side) for im in low])


class SuperResolutionGrid(training.Extension):
    """Saves a PNG: one row per fixed face; columns :data:`COLUMNS` (the
    small input, its bicubic enlargement, the network's, the original).

    Files are named ``samples_iter_<iteration>.png`` in the trainer's out
    dir, the newest also ``samples_latest.png``, as
    :class:`extensions.samples.SampleGrid` names them.

    Args:
        net (~stargan.models.sr.SuperResolution): The network.
        low (numpy.ndarray): float32 ``(N, 3, S, S)`` inputs in [-1, 1].
        high (numpy.ndarray): float32 ``(N, 3, fS, fS)`` originals.
        device: ``chainer.get_device`` specifier of the network.
    """

    trigger = 1000, 'iteration'
    priority = training.PRIORITY_READER

    def __init__(self, net, low, high, device='@numpy'):
        self.net = net
        self.low = numpy.asarray(low, numpy.float32)
        self.high = numpy.asarray(high, numpy.float32)
        self.device = chainer.get_device(device)

    def render(self):
        """Builds the grid now.

        Returns:
            PIL.Image.Image: The labelled grid.
        """
        side = self.high.shape[-1]
        low = image_grid.to_uint8(self.low)
        f = side // low.shape[1]
        pixels = numpy.repeat(numpy.repeat(low, f, axis=1), f, axis=2)
        cells = numpy.stack([
            pixels, bicubic(low, side),
            image_grid.to_uint8(enlarge(self.net, self.low, self.device)),
            image_grid.to_uint8(self.high)], axis=1)
        return image_grid.tile_grid(cells, COLUMNS,
                                    cell_size=max(64, side))

    def __call__(self, trainer):
        grid = self.render()
        image_grid.save_image_atomic(grid, os.path.join(
            trainer.out, 'samples_iter_{:08d}.png'.format(
                trainer.updater.iteration)))
        image_grid.save_image_atomic(
            grid, os.path.join(trainer.out, 'samples_latest.png'))
