"""One step of super-resolution training: L1 between the network's
enlargement and the original face."""
import chainer
import chainer.functions as F
from chainer import training

from updaters.optimizer_state import init_states


class SuperResolutionUpdater(training.updaters.StandardUpdater):
    """Trains a :class:`stargan.models.sr.SuperResolution` on ``(low,
    high)`` batches (:class:`datasets.sr_pairs.SuperResolutionPairs`).

    L1 rather than L2: it gives sharper edges and, as EDSR found, no worse
    PSNR. Reports ``sr/loss`` (the L1 in the [-1, 1] range).

    Args:
        iterator: Batches of ``(low float32 (3, S, S), high float32 (3, fS,
            fS))`` pairs.
        optimizer (~chainer.Optimizer): Set up with the network.
        device (chainer.backend.Device): Where the network lives.
    """

    def __init__(self, iterator, optimizer, device):
        super().__init__(iterator, optimizer, device=device)
        init_states(optimizer)  # so every snapshot holds them

    def update_core(self):
        low, high = self.converter(self.get_iterator('main').next(),
                                   self.input_device)
        opt = self.get_optimizer('main')
        net = opt.target
        loss = F.mean_absolute_error(net(low), high)
        net.cleargrads()
        loss.backward()
        opt.update()
        chainer.report({'sr/loss': loss})
