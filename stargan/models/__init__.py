"""Networks: StarGAN, the CycleGAN baseline, the judging domain classifier
and the super-resolution network of translate.py --upscale."""
from stargan.models.stargan import Discriminator  # NOQA
from stargan.models.stargan import Generator  # NOQA
from stargan.models.stargan import ResidualBlock  # NOQA
from stargan.models.cyclegan import EmbeddingDiscriminator  # NOQA
from stargan.models.cyclegan import PatchDiscriminator  # NOQA
from stargan.models.cyclegan import ResnetGenerator  # NOQA
from stargan.models.classifier import DomainClassifier  # NOQA
from stargan.models.sr import SuperResolution  # NOQA
