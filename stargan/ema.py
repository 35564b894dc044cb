"""An exponential moving average of a model's weights (StarGAN v2 keeps one
of its generator: the average, not the last iterate, makes the pictures)."""
import chainer

#: Updates over which the decay ramps up from 0.1 towards ``beta``.
WARMUP = 10


def decay(beta, t, warmup=WARMUP):
    """The decay of update ``t``: ``min(beta, (1 + t) / (warmup + t))``.

    Why a warm-up rather than a fixed ``beta`` or Adam-style bias
    correction: with a fixed 0.999 the random initialisation keeps weight
    ``0.999 ** t`` (5% after 3000 updates, the small preset's whole run), a
    visible ghost in short CPU runs. Bias correction removes the start-up
    weight but still averages over about 1000 updates, a third of such a
    run, from the blurry early models; it also needs a division every time
    the average is read. With the ramp the initial weights keep
    ``prod_k (1 + k) / (warmup + k)`` (below 1e-20 after 3000 updates), the
    average spans about the last ``t / (warmup - 1)`` updates (a ninth of
    the run so far) until ``beta`` caps it (t about 9000 for 0.999), and the
    average is a ready-to-use model at every step.

    Args:
        beta (float): The final decay, in [0, 1).
        t (int): Updates made before this one (0 for the first).
        warmup (int): Ramp length; the first decay is ``1 / warmup``.

    Returns:
        float: The weight of the old average in update ``t``.
    """
    return min(float(beta), (1. + t) / (warmup + t))


class ExponentialMovingAverage(object):
    """An averaged copy of a link's parameters, on the link's device.

    Each :meth:`update` sets, for every parameter,
    ``average = d * average + (1 - d) * current`` with ``d`` from
    :func:`decay`, in place on the device arrays (no host transfer, no
    synchronisation). Only parameters are averaged; persistent values are
    not (StarGAN's generator has none: its instance normalisation keeps no
    running statistics).

    Args:
        target (~chainer.Link): The model being trained (its parameters
            must be initialised). The average starts as a copy of it.
        beta (float): Final decay in [0, 1); 0 makes the average equal
            the model after every update.
        warmup (int): See :func:`decay`.

    Attributes:
        average (~chainer.Link): The averaged model, same class and device
            as ``target``; use it for inference.
        updates (int): Updates made so far (saved with :meth:`serialize`,
            so the schedule resumes where it stopped).
    """

    def __init__(self, target, beta=0.999, warmup=WARMUP):
        if not 0 <= beta < 1:
            raise ValueError('the average decay must be in [0, 1), got '
                             '{}'.format(beta))
        self.target, self.beta, self.warmup = target, float(beta), warmup
        # A deep copy would also copy each update rule with its optimizer
        # state (Adam's moments: twice G): detach them for the copy.
        rules = [(p, p.update_rule) for p in target.params()]
        for param, _ in rules:
            param.update_rule = None
        try:
            self.average = target.copy(mode='copy')
        finally:
            for param, rule in rules:
                param.update_rule = rule
        for param in self.average.params():
            param.grad = None  # nothing trains the average
        self.updates = 0
        self._pairs = self._match()

    def _match(self):
        # Chains keep children in sets: pair parameters by name, not order.
        own = dict(self.average.namedparams())
        return [(own[name], param)
                for name, param in self.target.namedparams()]

    def update(self):
        """Moves the average towards the target's current parameters."""
        d = decay(self.beta, self.updates, self.warmup)
        for avg, param in self._pairs:
            avg.array *= d
            avg.array += (1. - d) * param.array
        self.updates += 1

    def reset(self):
        """Restarts the average at the target's current weights."""
        for avg, param in self._pairs:
            avg.array[...] = param.array
        self.updates = 0

    def serialize(self, serializer):
        """Saves or restores ``updates`` and ``average/...``.

        Restoring from a file written without an average (a snapshot of a
        run trained before averaging was on) restarts the average at the
        restored target instead of failing, so such a run can be resumed;
        load the target first.
        """
        try:
            self.updates = int(serializer('updates', self.updates))
        except KeyError:
            if not isinstance(serializer, chainer.Deserializer):
                raise
            self.reset()
            return
        self.average.serialize(serializer['average'])
