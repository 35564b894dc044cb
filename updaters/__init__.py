"""Training steps (``chainer.training.StandardUpdater`` subclasses)."""
from updaters.stargan import StarGANUpdater  # NOQA
