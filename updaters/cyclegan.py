"""CycleGAN training step: both generators on one joint loss, then each
discriminator on real images and pooled fakes."""
import numpy

import chainer
import chainer.functions as F
from chainer import training

from stargan.conv import links
from stargan.image_pool import ImagePool
from stargan.losses import cyclegan as cl
from stargan.losses import stargan as losses
from stargan.random_state import own_rows
from stargan.random_state import serialize_random_state
from updaters.optimizer_state import init_states


class CycleGANUpdater(training.updaters.StandardUpdater):
    """One CycleGAN iteration: a generator step, then a discriminator step.

    Both generators minimise one joint objective (adversarial + cycle L1 +
    identity L1 [+ perceptual] [+ embedding]); each term is reported under
    the generator that produces it: ``gen_ab/loss_adv`` (fool D_B),
    ``gen_ab/loss_cycle`` (``a -> b -> a``), ``gen_ab/loss_idt``
    (``G_AB(b) = b``), ``gen_ab/loss_perceptual``, ``gen_ab/loss_emb``,
    ``gen_ab/loss`` (its share), and the same for ``gen_ba``. Then
    ``dis_a`` and ``dis_b`` learn on real images against fakes drawn
    through their image pools (``dis_a/loss``, mean scores
    ``dis_a/score_real`` and ``dis_a/score_fake``, and ``dis_a/loss_gp``
    with WGAN-GP), and the optional embedding critic on the encoders' outputs
    (``dis_emb/loss``, ``dis_emb/acc``).

    Args:
        iterator: Yields batches of ``(image_a, image_b)``, each float32
            ``(3, S, S)`` in [-1, 1] (see :class:`datasets.unaligned.
            UnalignedDataset`).
        gen_ab (~stargan.models.cyclegan.ResnetGenerator): A to B.
        gen_ba (~stargan.models.cyclegan.ResnetGenerator): B to A.
        dis_a (~stargan.models.cyclegan.PatchDiscriminator): Judges domain A.
        dis_b (~stargan.models.cyclegan.PatchDiscriminator): Judges domain B.
        gen_ab_opt (~chainer.Optimizer): Set up with ``gen_ab``.
        gen_ba_opt (~chainer.Optimizer): Set up with ``gen_ba``.
        dis_a_opt (~chainer.Optimizer): Set up with ``dis_a``.
        dis_b_opt (~chainer.Optimizer): Set up with ``dis_b``.
        dis_emb (~stargan.models.cyclegan.EmbeddingDiscriminator): Optional
            critic aligning the two generators' embeddings.
        dis_emb_opt (~chainer.Optimizer): Set up with ``dis_emb``.
        gan_loss (str): ``'lsgan'``, ``'vanilla'`` or ``'wgan-gp'``.
        label_noise (float): Width eps of uniform noise on D's targets
            (real in [1 - eps, 1], fake in [0, eps]); 0 turns it off. Not
            used by WGAN-GP, which has no targets.
        lambda_cycle (float): Weight of the cycle L1 (10 in the paper).
        lambda_identity (float): Identity L1 weight relative to
            ``lambda_cycle`` (0.5 in the paper).
        lambda_gp (float): Gradient-penalty weight (WGAN-GP only).
        lambda_emb (float): Weight of the encoders' embedding loss.
        lambda_perceptual (float): Weight of the perceptual loss.
        features (callable): Feature maps for a perceptual loss between
            each input and its translation (keeping the person); None: off.
        pool_size (int): Fakes kept per image pool (50 in the paper).
        flip (bool): Mirror each real image left-right with probability 1/2.
        device: Where batches go (a ``chainer.get_device`` specifier).
        seed (int): Seeds the updater's stream (label noise, interpolation,
            flips) and the pools'; all are saved with snapshots.
        shard (tuple of int): ``(rank, n_processes)`` in data-parallel
            training: the stream's draws are made for the global batch and
            each process keeps its rows (see
            :func:`stargan.random_state.own_rows`).
        gather (callable): In data-parallel training, ``x -> every
            process's x`` in rank order (see
            :func:`extensions.multinode.gather_rows`): the pools then take
            the global batch of fakes and each process keeps its rows, so
            all processes hold the same pools (and process 0's snapshot
            resumes every one). None: one process, whose pools hold its
            fakes.
    """

    def __init__(self, iterator, gen_ab, gen_ba, dis_a, dis_b, gen_ab_opt,
                 gen_ba_opt, dis_a_opt, dis_b_opt, dis_emb=None,
                 dis_emb_opt=None, gan_loss='lsgan', label_noise=0.,
                 lambda_cycle=10., lambda_identity=0.5, lambda_gp=10.,
                 lambda_emb=1., lambda_perceptual=1., features=None,
                 pool_size=50, flip=False, device='@numpy', seed=0,
                 shard=(0, 1), gather=None):
        cl.check_gan_loss(gan_loss)
        if (dis_emb is None) != (dis_emb_opt is None):
            raise ValueError('give both dis_emb and dis_emb_opt, or neither')
        optimizers = {'gen_ab': gen_ab_opt, 'gen_ba': gen_ba_opt,
                      'dis_a': dis_a_opt, 'dis_b': dis_b_opt}
        if dis_emb is not None:
            optimizers['dis_emb'] = dis_emb_opt
        super().__init__(iterator, optimizers, device=device)
        for opt in self.get_all_optimizers().values():
            init_states(opt)  # so every snapshot holds them
        self.gen_ab, self.gen_ba = gen_ab, gen_ba
        self.dis_a, self.dis_b, self.dis_emb = dis_a, dis_b, dis_emb
        self.gan_loss, self.label_noise = gan_loss, label_noise
        self.lambda_cycle, self.lambda_identity = lambda_cycle, \
            lambda_identity
        self.lambda_gp, self.lambda_emb = lambda_gp, lambda_emb
        self.lambda_perceptual, self.features = lambda_perceptual, features
        self.flip = flip
        self.rng = numpy.random.RandomState(seed)
        self.shard = tuple(int(v) for v in shard)
        self.gather = gather
        self.pool_a = ImagePool(pool_size, seed + 1)
        self.pool_b = ImagePool(pool_size, seed + 2)

    def update_core(self):
        a, b = self.converter(self.get_iterator('main').next(),
                              self.input_device)
        if self.flip:
            a, b = self._random_flip(a), self._random_flip(b)
        fake_a, fake_b, e_a, e_b = self.update_generators(a, b)
        self.get_optimizer('dis_a').update(self.dis_loss, self.dis_a, a,
                                           self._pooled(self.pool_a, fake_a))
        self.get_optimizer('dis_b').update(self.dis_loss, self.dis_b, b,
                                           self._pooled(self.pool_b, fake_b))
        if self.dis_emb is not None:
            self.get_optimizer('dis_emb').update(self.emb_dis_loss, e_a, e_b)

    def _random_flip(self, x):
        mask = self._mine(self.rng.uniform(size=len(x) * self.shard[1])) < 0.5
        xp = chainer.backend.get_array_module(x)
        mask = self.input_device.send(mask.reshape(-1, 1, 1, 1))
        return xp.where(mask, x[..., ::-1], x)

    def update_generators(self, a, b):
        """One Adam step of both generators on their joint loss.

        Returns:
            tuple: Arrays ``(fake_a, fake_b, embedding_a, embedding_b)``
            for the discriminator steps.
        """
        loss_ab, fake_b, e_a = self.gen_loss(self.gen_ab, self.gen_ba,
                                             self.dis_b, a, b, True)
        loss_ba, fake_a, e_b = self.gen_loss(self.gen_ba, self.gen_ab,
                                             self.dis_a, b, a, False)
        self.gen_ab.cleargrads()
        self.gen_ba.cleargrads()
        total = loss_ab + loss_ba
        total.backward()
        total.unchain_backward()
        self.get_optimizer('gen_ab').update()
        self.get_optimizer('gen_ba').update()
        return fake_a.array, fake_b.array, e_a.array, e_b.array

    def gen_loss(self, gen, other, dis, x, y, from_a):
        """The terms of generator ``gen`` (x's domain to y's), reported
        under its name.

        Args:
            gen: The generator translating ``x``.
            other: The reverse generator (closes the cycle).
            dis: The discriminator of the target domain.
            x (array): float32 ``(N, 3, S, S)`` images of gen's source.
            y (array): float32 ``(N, 3, S, S)`` images of gen's target.
            from_a (bool): ``gen`` is G_AB.

        Returns:
            tuple: ``(loss, fake, embedding)`` Variables.
        """
        emb = gen.encode(x)
        fake = gen.decode(emb)
        with links.frozen_parameters():  # no gradients for D's parameters
            score = dis(fake)
            emb_score = None if self.dis_emb is None else self.dis_emb(emb)
        terms = {
            'loss_adv': cl.gen_adv_loss(self.gan_loss, score),
            'loss_cycle': self.lambda_cycle * cl.l1_loss(x, other(fake)),
        }
        if self.lambda_identity:
            terms['loss_idt'] = (self.lambda_cycle * self.lambda_identity
                                 * cl.l1_loss(y, gen(y)))
        if self.features is not None:
            terms['loss_perceptual'] = self.lambda_perceptual * \
                cl.perceptual_loss(self.features, x, fake)
        if self.dis_emb is not None:
            terms['loss_emb'] = self.lambda_emb * cl.embedding_gen_loss(
                emb_score, from_a)
        loss = sum(terms.values())
        chainer.report(dict(terms, loss=loss), gen)
        return loss, fake, emb

    def dis_loss(self, dis, real, fake):
        """One discriminator's objective on reals and (pooled) fakes."""
        d_real, d_fake = dis(real), dis(fake)
        t_real = self._targets(d_real.shape, True)
        t_fake = self._targets(d_fake.shape, False)
        loss = cl.dis_adv_loss(self.gan_loss, d_real, d_fake, t_real,
                               t_fake)
        report = {'score_real': F.mean(d_real),
                  'score_fake': F.mean(d_fake)}
        if self.gan_loss == 'wgan-gp':
            alpha = self.input_device.send(self._mine(self.rng.uniform(
                size=(len(real) * self.shard[1], 1, 1, 1))).astype(real.dtype))
            loss_gp = losses.gradient_penalty(
                dis, losses.interpolate(real, fake, alpha))
            loss = loss + self.lambda_gp * loss_gp
            report['loss_gp'] = loss_gp
        report['loss'] = loss
        chainer.report(report, dis)
        return loss

    def _targets(self, shape, real):
        if self.gan_loss == 'wgan-gp':
            return None
        shape = (shape[0] * self.shard[1],) + tuple(shape[1:])
        return self.input_device.send(self._mine(cl.soft_targets(
            self.rng, shape, real, self.label_noise)))

    def _mine(self, draw):
        return own_rows(draw, self.shard)

    def _pooled(self, pool, fake):
        """The fakes D sees, through ``pool`` (see ``gather``)."""
        if self.gather is None:
            return pool.query(fake)
        return self._mine(pool.query(self.gather(fake)))

    def emb_dis_loss(self, e_a, e_b):
        """The embedding critic's objective on both encoders' outputs."""
        logits_a, logits_b = self.dis_emb(e_a), self.dis_emb(e_b)
        loss = cl.embedding_dis_loss(logits_a, logits_b)
        # Left on the device (no wait for it): the log averages it.
        acc = 0.5 * ((logits_a.array > 0).mean()
                     + (logits_b.array < 0).mean())
        chainer.report({'loss': loss, 'acc': acc}, self.dis_emb)
        return loss

    def serialize(self, serializer):
        super().serialize(serializer)
        serialize_random_state(serializer['rng'], self.rng)
        # The unaligned dataset's pairing depends on its read counts.
        dataset = self.get_iterator('main').dataset
        if hasattr(dataset, 'serialize'):
            dataset.serialize(serializer['dataset'])
        self.pool_a.serialize(serializer['pool_a'])
        self.pool_b.serialize(serializer['pool_b'])
