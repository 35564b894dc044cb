"""Loss terms as small functions returning Variables."""
from stargan.losses.stargan import classification_loss  # NOQA
from stargan.losses.stargan import gradient_penalty  # NOQA
from stargan.losses.stargan import reconstruction_loss  # NOQA
from stargan.losses.stargan import wgan_dis_loss  # NOQA
from stargan.losses.stargan import wgan_gen_loss  # NOQA
from stargan.losses.cyclegan import dis_adv_loss  # NOQA
from stargan.losses.cyclegan import embedding_dis_loss  # NOQA
from stargan.losses.cyclegan import embedding_gen_loss  # NOQA
from stargan.losses.cyclegan import gen_adv_loss  # NOQA
from stargan.losses.cyclegan import l1_loss  # NOQA
from stargan.losses.cyclegan import perceptual_loss  # NOQA
