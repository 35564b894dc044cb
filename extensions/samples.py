"""Sample grids: fixed test inputs translated to every target domain."""
import os

import numpy

import chainer
from chainer import training

from datasets import image_grid as image_utils
from stargan import attention
from stargan.forward import forward_in_batches
from stargan.labels import groups as label_utils


def translate_all(generator, x, c_org, group_sizes, device, batch_size=16,
                  edit_targets=None, with_masks=False):
    """Translates each input to every single-attribute edit of its label.

    Args:
        generator (callable): ``G(x, c)`` as :class:`stargan.models.stargan.
            Generator`.
        x (numpy.ndarray): float32 ``(N, 3, H, W)`` in [-1, 1].
        c_org (numpy.ndarray): float32 ``(N, L)`` the inputs' labels.
        group_sizes (sequence of int): Label layout.
        device (chainer.backend.Device): Where G lives.
        batch_size (int): Images per forward pass.
        edit_targets (callable or None): ``c_org -> [(label index, targets
            (N, L)), ...]``, the columns; default
            :func:`stargan.labels.groups.edit_targets` with ``group_sizes``
            (a joint run passes :meth:`~stargan.labels.joint.JointLayout.
            edit_targets`, so inputs of every dataset get every domain).
        with_masks (bool): Also return the masks of an attention generator
            (:mod:`stargan.attention`).

    Returns:
        tuple: ``(indices, outputs)``: the label index set by each column and
        float32 numpy ``(N, K, 3, H, W)`` translations; ``with_masks`` adds
        a third element, float32 numpy ``(N, K, 1, H, W)`` masks in [0, 1],
        or None for a generator without masks.
    """
    columns = edit_targets(c_org) if edit_targets else \
        label_utils.edit_targets(c_org, group_sizes)
    outs = numpy.empty((len(x), len(columns)) + x.shape[1:], numpy.float32)
    masks = None
    for k, (_, c_trg) in enumerate(columns):
        y, a = forward_in_batches(
            lambda x, c: attention.with_mask(generator, x, c), (x, c_trg),
            device, batch_size)
        outs[:, k] = y
        if a is not None:
            if masks is None:
                masks = numpy.empty(outs.shape[:2] + a.shape[1:],
                                    numpy.float32)
            masks[:, k] = a
    indices = [j for j, _ in columns]
    return (indices, outs, masks) if with_masks else (indices, outs)


class SampleGrid(training.Extension):
    """Saves a PNG: one row per fixed input, columns = input then each target.

    With an attention generator (:mod:`stargan.attention`) each row is
    followed by one of its masks in grey (white: the colour replaces the
    input; black: the input is kept), under a blank input cell.

    Files are named ``samples_iter_<iteration>.png`` under ``out_dir`` (the
    trainer's out dir by default); the newest is also copied to
    ``samples_latest.png`` for a quick look.

    Args:
        generator (~stargan.models.stargan.Generator): The model to show.
        images (numpy.ndarray): float32 ``(N, 3, H, W)`` fixed inputs.
        labels (numpy.ndarray): float32 ``(N, L)`` their labels.
        label_names (sequence of str): Name of each label position.
        group_sizes (sequence of int): Label layout.
        device: ``chainer.get_device`` specifier of the generator.
        out_dir (str): Where to write; ``None`` means the trainer's out.
        edit_targets (callable or None): The columns (see
            :func:`translate_all`).
    """

    trigger = 1000, 'iteration'
    priority = training.PRIORITY_READER

    def __init__(self, generator, images, labels, label_names, group_sizes,
                 device='@numpy', out_dir=None, edit_targets=None):
        self.generator = generator
        self.images = numpy.asarray(images, numpy.float32)
        self.labels = numpy.asarray(labels, numpy.float32)
        self.label_names = list(label_names)
        self.group_sizes = tuple(group_sizes)
        self.device = chainer.get_device(device)
        self.out_dir = out_dir
        self.edit_targets = edit_targets

    def render(self):
        """Builds the grid now.

        Returns:
            PIL.Image.Image: The labelled grid.
        """
        indices, outs, masks = translate_all(
            self.generator, self.images, self.labels, self.group_sizes,
            self.device, edit_targets=self.edit_targets, with_masks=True)
        cells = numpy.concatenate(
            [image_utils.to_uint8(self.images)[:, None]]
            + [image_utils.to_uint8(outs[:, k])[:, None]
               for k in range(outs.shape[1])], axis=1)
        if masks is not None:
            grey = image_utils.masks_to_uint8(masks)
            blank = numpy.full_like(grey[:, :1], 255)
            rows = (cells, numpy.concatenate([blank, grey], axis=1))
            cells = numpy.stack(rows, axis=1).reshape(
                (-1,) + cells.shape[1:])  # image row, its mask row, ...
        names = ['input'] + [self.label_names[j] for j in indices]
        return image_utils.tile_grid(cells, names)

    def __call__(self, trainer):
        out_dir = self.out_dir or trainer.out
        grid = self.render()
        path = os.path.join(
            out_dir, 'samples_iter_{:08d}.png'.format(
                trainer.updater.iteration))
        image_utils.save_image_atomic(grid, path)
        image_utils.save_image_atomic(
            grid, os.path.join(out_dir, 'samples_latest.png'))
