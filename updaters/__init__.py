"""Training steps (``chainer.training.StandardUpdater`` subclasses)."""
from updaters.cyclegan import CycleGANUpdater  # NOQA
from updaters.stargan import StarGANUpdater  # NOQA
from updaters.sr import SuperResolutionUpdater  # NOQA
