"""StarGAN training step: the critic (WGAN-GP, or the logistic loss with
R1) every iteration, the generator every ``n_critic``."""
import numpy

import chainer
from chainer import training

from stargan import attention
from stargan import augment as augment_lib
from stargan.conv import links
from stargan import ema as ema_lib
from stargan.labels import groups as label_utils
from stargan.losses import stargan as losses
from stargan.random_state import own_rows
from stargan.random_state import serialize_random_state
from updaters.optimizer_state import init_states


class StarGANUpdater(training.updaters.StandardUpdater):
    """Alternates StarGAN's discriminator and generator updates.

    Reports ``dis/loss``, ``dis/loss_real``, ``dis/loss_fake``,
    ``dis/loss_cls``, ``dis/loss_gp``, ``dis/acc`` and, on generator steps,
    ``gen/loss``, ``gen/loss_fake``, ``gen/loss_cls``, ``gen/loss_rec``,
    and with an attention generator (:mod:`stargan.attention`)
    ``gen/loss_mask`` and ``gen/loss_mask_tv``.

    Joint training on several datasets (the paper's mask vector): when the
    examples carry a third element, ``loss_mask float32 (L,)`` (1 on the
    positions of the example's own dataset, as
    :class:`datasets.joint.JointDataset` gives), then

    * D's classification loss on a real image counts only its dataset's
      labels (``loss_mask``);
    * each target keeps the example's joint label outside ``loss_mask``
      (other datasets' zeros and the mask vector) and draws new values for
      the groups inside it, so targets stay within the example's dataset;
    * G's classification loss counts the target's dataset's labels, which
      is the same mask;
    * the reconstruction goes back to the original joint label.

    ``group_sizes`` is then the joint layout
    (:attr:`stargan.labels.joint.JointLayout.group_sizes`), and ``dis/acc``
    counts only known labels. Batches of two elements train as before.

    Args:
        iterator: Yields batches of ``(image float32 (3, S, S) in [-1, 1],
            label float32 (L,))`` examples, or ``(image, label, loss_mask
            float32 (L,))`` for joint training.
        generator (~stargan.models.stargan.Generator): G, owned by ``gen_opt``.
        discriminator (~stargan.models.stargan.Discriminator): D, owned by
            ``dis_opt``.
        gen_opt (~chainer.Optimizer): Optimizer set up with G.
        dis_opt (~chainer.Optimizer): Optimizer set up with D.
        group_sizes (sequence of int): Label layout (see
            :mod:`stargan.labels.groups`).
        n_critic (int): One G step every ``n_critic`` iterations.
        lambda_cls (float): Weight of the domain-classification losses.
        lambda_rec (float): Weight of G's cycle reconstruction L1.
        lambda_gp (float): Weight of the gradient penalty.
        device: Where batches go (a ``chainer.get_device`` specifier).
        seed (int): Seed of the updater's own random stream (targets,
            interpolation points, flips); saved with snapshots.
        flip (bool): Mirror each real image left-right with probability 1/2.
        shard (tuple of int): ``(rank, n_processes)`` of data-parallel
            training. Every process draws the random numbers of the whole
            global batch from the same stream and uses its own rows (see
            :class:`datasets.iterators.shard.ShardIterator`), so N processes
            reproduce one process at N times the batch.
        ema_beta (float): Decay of the average of G's weights kept after
            every G step (:class:`stargan.ema.ExponentialMovingAverage`,
            saved with snapshots); 0 keeps none.
        augment (str): DiffAugment policy for every image D scores (see
            :mod:`stargan.augment`), e.g. ``'translation,cutout'``;
            ``'none'`` scores the images as they are. Real and fake images
            get independent draws from ``seed``'s stream (``dis/acc``, too,
            is then measured on augmented reals). The gradient
            penalty is taken at interpolates of the augmented real and fake
            images D has just scored: D only ever sees augmented images, so
            that is where its slope is constrained (augmenting the
            interpolates again would constrain it off the line between the
            scored pair).
        lambda_mask (float): Weight of the mean of G's masks
            (:func:`stargan.attention.mask_losses`, over the translation's
            and the reconstruction's); only with an attention generator.
        lambda_mask_tv (float): Weight of their total variation.
        adversarial (str): A key of :data:`stargan.losses.stargan.ADVERSARIAL`:
            ``'wgan-gp'`` (the paper's: WGAN critic, penalty
            ``lambda_gp * E[(|grad D(x_hat)| - 1)^2]`` at interpolates) or
            ``'r1'`` (StarGAN v2's: non-saturating logistic loss, penalty
            ``lambda_r1 / 2 * E[|grad D(x)|^2]`` at the reals D scored).
            Either is reported as ``dis/loss_gp``.
        lambda_r1 (float): Weight of the R1 penalty (StarGAN v2: 1).

    A discriminator with a real/fake map per domain (``per_domain``) has
    each image scored on its domain's map (:func:`stargan.losses.stargan.
    domain_scores`): reals on their own, translations on their target's.

    Attributes:
        ema (~stargan.ema.ExponentialMovingAverage or None): The average.
    """

    def __init__(self, iterator, generator, discriminator, gen_opt, dis_opt,
                 group_sizes, n_critic=5, lambda_cls=1., lambda_rec=10.,
                 lambda_gp=10., device='@numpy', seed=0, flip=False,
                 shard=(0, 1), ema_beta=0., augment='none',
                 lambda_mask=attention.LAMBDA_MASK,
                 lambda_mask_tv=attention.LAMBDA_MASK_TV,
                 adversarial='wgan-gp', lambda_r1=1.):
        if adversarial not in losses.ADVERSARIAL:
            raise ValueError('adversarial must be one of {}, got {!r}'.format(
                sorted(losses.ADVERSARIAL), adversarial))
        super().__init__(iterator, {'gen': gen_opt, 'dis': dis_opt},
                         device=device)
        for opt in self.get_all_optimizers().values():
            init_states(opt)  # so every snapshot holds them
        self.generator, self.discriminator = generator, discriminator
        self.group_sizes = tuple(group_sizes)
        self.n_critic = n_critic
        self.lambda_cls, self.lambda_rec = lambda_cls, lambda_rec
        self.lambda_gp = lambda_gp
        self.adversarial, self.lambda_r1 = adversarial, lambda_r1
        self.lambda_mask, self.lambda_mask_tv = lambda_mask, lambda_mask_tv
        self.flip = flip
        self.rng = numpy.random.RandomState(seed)
        self.shard = tuple(int(v) for v in shard)
        self.n_shards = self.shard[1]
        self.ema = ema_lib.ExponentialMovingAverage(generator, ema_beta) \
            if ema_beta else None
        self.augment = augment_lib.DiffAugment(augment)

    def inference_generator(self):
        """The generator for samples, evaluation and export: the average
        of G's weights when one is kept, else G."""
        return self.generator if self.ema is None else self.ema.average

    def update_core(self):
        batch = self.converter(self.get_iterator('main').next(),
                               self.input_device)
        x_real, c_org = batch[:2]
        mask = batch[2] if len(batch) > 2 else None
        if self.flip:
            x_real = self._random_flip(x_real)
        c_trg = self.input_device.send(self._mine(label_utils.random_labels(
            self.rng, len(x_real) * self.n_shards, self.group_sizes)))
        if mask is not None:
            # Targets within the example's own dataset: new values where its
            # labels are known, its joint label (zeros, mask vector) elsewhere.
            xp = chainer.backend.get_array_module(c_org)
            c_trg = xp.where(mask > 0, c_trg, c_org)
        self.update_dis(x_real, c_org, c_trg, mask)
        if (self.iteration + 1) % self.n_critic == 0:
            # The target's dataset is the example's, so is its loss mask.
            self.update_gen(x_real, c_org, c_trg, mask)

    def update_dis(self, x_real, c_org, c_trg, mask=None):
        """One D step on a batch (arguments as :meth:`dis_loss` takes)."""
        self.get_optimizer('dis').update(self.dis_loss, x_real, c_org, c_trg,
                                         mask)
        # Gradients are not needed past their update; dropping them keeps
        # D's (176 MB in the paper's model) out of the G step's peak memory.
        self.discriminator.cleargrads()

    def update_gen(self, x_real, c_org, c_trg, mask=None):
        """One G step on a batch (arguments as :meth:`gen_loss` takes)."""
        self.get_optimizer('gen').update(self.gen_loss, x_real, c_org, c_trg,
                                         mask)
        self.generator.cleargrads()
        if self.ema is not None:
            self.ema.update()

    def _mine(self, draw):
        return own_rows(draw, self.shard)

    def _random_flip(self, x):
        mask = self._mine(self.rng.uniform(size=len(x) * self.n_shards)) < 0.5
        xp = chainer.backend.get_array_module(x)
        mask = self.input_device.send(mask.reshape(-1, 1, 1, 1))
        return xp.where(mask, x[..., ::-1], x)

    def _augmented(self, x):
        """``x`` as D sees it: augmented with fresh draws, if at all."""
        if not self.augment:
            return x
        draws = self.augment.draw(self.rng, len(x) * self.n_shards,
                                  x.shape[-1])
        return self.augment(x, {k: self.input_device.send(self._mine(v))
                                for k, v in draws.items()})

    def dis_loss(self, x_real, c_org, c_trg, mask=None):
        """D's objective: adversarial loss + classification of reals +
        gradient penalty.

        ``mask`` (joint training) marks the real labels that are known.
        """
        dis = self.discriminator
        x_seen = self._augmented(x_real)
        if self.adversarial == 'r1':  # R1 differentiates D at the reals
            x_seen = chainer.Variable(chainer.as_array(x_seen))
        src_real, cls_real = dis(x_seen)
        src_real = losses.domain_scores(src_real, c_org)
        with chainer.no_backprop_mode():
            x_fake = self._augmented(self.generator(x_real, c_trg))
        src_fake = losses.domain_scores(dis(x_fake)[0], c_trg)
        loss_adv = losses.ADVERSARIAL[self.adversarial][0](src_real,
                                                           src_fake)
        loss_cls = losses.classification_loss(cls_real, c_org,
                                              self.group_sizes, mask=mask)
        loss_gp, weight = self._penalty(x_seen, x_fake, src_real, c_trg)
        loss = loss_adv + self.lambda_cls * loss_cls + weight * loss_gp
        chainer.report({
            'loss': loss, 'loss_real': -chainer.functions.mean(src_real),
            'loss_fake': chainer.functions.mean(src_fake),
            'loss_cls': loss_cls, 'loss_gp': loss_gp,
            'acc': self._accuracy(cls_real, c_org, mask)}, dis)
        return loss

    def _penalty(self, x_seen, x_fake, src_real, c_trg):
        """The gradient penalty and its weight: R1 at the reals D scored,
        or WGAN-GP's at interpolates of them and the fakes.

        A per-domain critic's slope is constrained on the target's map:
        that is the map whose gradient reaches G.
        """
        if self.adversarial == 'r1':
            return losses.r1_penalty(src_real, x_seen), self.lambda_r1 / 2
        alpha = self.input_device.send(self._mine(self.rng.uniform(
            size=(len(x_seen) * self.n_shards, 1, 1, 1))).astype(
                x_fake.dtype))
        x_hat = losses.interpolate(x_seen, x_fake, alpha)
        return losses.gradient_penalty(
            lambda x: losses.domain_scores(self.discriminator(x)[0], c_trg),
            x_hat), self.lambda_gp

    def gen_loss(self, x_real, c_org, c_trg, mask=None):
        """G's objective: fool D, be classified as c_trg, reconstruct x.

        ``mask`` (joint training) marks the target's dataset's labels.
        An attention generator's masks add their losses.
        """
        x_fake, a_fake = attention.with_mask(self.generator, x_real, c_trg)
        with links.frozen_parameters():  # no gradients for D's parameters
            src_fake, cls_fake = self.discriminator(self._augmented(x_fake))
        src_fake = losses.domain_scores(src_fake, c_trg)
        x_rec, a_rec = attention.with_mask(self.generator, x_fake, c_org)
        loss_fake = losses.ADVERSARIAL[self.adversarial][1](src_fake)
        loss_cls = losses.classification_loss(cls_fake, c_trg,
                                              self.group_sizes, mask=mask)
        loss_rec = losses.reconstruction_loss(x_real, x_rec)
        loss = (loss_fake + self.lambda_cls * loss_cls
                + self.lambda_rec * loss_rec)
        terms = {'loss_fake': loss_fake, 'loss_cls': loss_cls,
                 'loss_rec': loss_rec}
        if a_fake is not None:
            terms.update(attention.mask_losses((a_fake, a_rec)))
            loss += (self.lambda_mask * terms['loss_mask']
                     + self.lambda_mask_tv * terms['loss_mask_tv'])
        chainer.report(dict(terms, loss=loss), self.generator)
        return loss

    def _accuracy(self, logits, labels, mask):
        # Left on the device: reported as an array, averaged by the log.
        return label_utils.hit_rate(logits, labels, self.group_sizes, mask)

    def serialize(self, serializer):
        super().serialize(serializer)
        serialize_random_state(serializer['rng'], self.rng)
        if self.ema is not None:  # after G, which a restart copies
            self.ema.serialize(serializer['ema'])
