"""A history of generated images for the discriminator (Shrivastava et al.
2017; used by CycleGAN with 50 images).

Showing D some older fakes along with the newest keeps it from chasing only
the generator's latest mode, which damps oscillation.
"""
import numpy

import chainer
from chainer import backend

from stargan.random_state import serialize_random_state


class ImagePool(object):
    """Keeps up to ``pool_size`` past fakes and mixes them into new batches.

    While the pool is filling, each new image is stored and returned as is.
    Once full, each image is, with probability 1/2, swapped for a random
    stored one (the new one takes its place in the pool); otherwise it is
    returned as is. ``pool_size=0`` turns the pool off.

    Args:
        pool_size (int): How many images to keep (50 in CycleGAN).
        seed (int): Seed of the pool's own random stream.
    """

    def __init__(self, pool_size=50, seed=0):
        if pool_size < 0:
            raise ValueError('pool_size must be >= 0, got {}'.format(
                pool_size))
        self.pool_size = int(pool_size)
        self.rng = numpy.random.RandomState(seed)
        self.images = None  # (pool_size, ...) once the first batch arrives
        self.n_stored = 0

    def query(self, images):
        """Returns a batch to show D in place of ``images``.

        Args:
            images (array or ~chainer.Variable): ``(N, C, H, W)`` fakes, on
                any device; a Variable's graph is dropped.

        Returns:
            array: ``(N, C, H, W)``, same dtype and device as ``images``.
        """
        images = chainer.as_array(images)
        if self.pool_size == 0:
            return images
        xp = backend.get_array_module(images)
        if self.images is None:
            self.images = xp.zeros((self.pool_size,) + images.shape[1:],
                                   images.dtype)
        elif backend.get_array_module(self.images) is not xp:
            self.images = backend.get_device_from_array(images).send(
                self.images)
        slots, picks = self._plan(len(images))
        # Two gathers on the device, whatever the batch size: rows of
        # [pool; images] for the pool's slots and for the batch returned.
        both = xp.concatenate([self.images, images])
        out = both[xp.asarray(picks)]
        self.images = both[xp.asarray(slots)]
        return out

    def _plan(self, n):
        """Draws the pool's choices for a batch of ``n`` on the host.

        Returns:
            tuple of numpy.ndarray: ``(slots, picks)``, int indices into the
            pool's images followed by the batch's: what each pool slot holds
            after the batch, and which image each returned one is.
        """
        slots = numpy.arange(self.pool_size)
        picks = numpy.arange(self.pool_size, self.pool_size + n)
        for i in range(n):  # random draws only; no array work per image
            if self.n_stored < self.pool_size:
                slots[self.n_stored] = picks[i]
                self.n_stored += 1
            elif self.rng.uniform() < 0.5:
                j = self.rng.randint(self.pool_size)
                picks[i], slots[j] = slots[j], picks[i]
        return slots, picks

    def serialize(self, serializer):
        """Saves or restores the stored images, their count and the random
        stream, so that a resumed run continues with the same pool."""
        serialize_random_state(serializer['rng'], self.rng)
        self.n_stored = int(serializer('n_stored', self.n_stored))
        if isinstance(serializer, chainer.Serializer):
            stored = self.images
            if stored is None:
                stored = numpy.zeros((0,), numpy.float32)
            serializer('images', stored)
        else:
            stored = serializer('images', None)
            self.images = None if stored is None or stored.size == 0 \
                else numpy.array(stored)
