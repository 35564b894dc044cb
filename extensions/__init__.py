"""Trainer extensions (``chainer.training.Extension``): sample grids,
evaluation, the divergence guard, progress, multi-process evaluation."""
from extensions.cyclegan_samples import CycleGANSampleGrid  # NOQA
from extensions.evaluation import Evaluate  # NOQA
from extensions.joint_eval import JointEvaluate  # NOQA
from extensions.multinode import MultiNodeEvaluate  # NOQA
from extensions.rescue import Progress  # NOQA
from extensions.safety import DivergenceGuard  # NOQA
from extensions.safety import GracefulStop  # NOQA
from extensions.samples import SampleGrid  # NOQA
