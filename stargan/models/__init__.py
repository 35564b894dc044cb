"""Networks: StarGAN, the CycleGAN baseline and the judging domain
classifier."""
from stargan.models.stargan import Discriminator  # NOQA
from stargan.models.stargan import Generator  # NOQA
from stargan.models.stargan import ResidualBlock  # NOQA
from stargan.models.cyclegan import EmbeddingDiscriminator  # NOQA
from stargan.models.cyclegan import PatchDiscriminator  # NOQA
from stargan.models.cyclegan import ResnetGenerator  # NOQA
from stargan.models.classifier import DomainClassifier  # NOQA
