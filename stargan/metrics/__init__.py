"""Offline evaluation metrics: a small registry of functions returning dicts.

Each metric takes an :class:`EvalData` (test images, labels, translations,
a domain classifier) and returns a dict of JSON-ready values. ``compute``
runs the chosen ones and merges their dicts. Nothing here reads files.
"""
from stargan.metrics.context import EvalData  # NOQA
from stargan.metrics.context import translate_everything  # NOQA
from stargan.metrics.registry import compute  # NOQA
from stargan.metrics.registry import METRICS  # NOQA
from stargan.metrics.registry import register  # NOQA
