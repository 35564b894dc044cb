"""The convolution engine: functions, links, the formulation choice, GEMM,
Winograd, CPU threads."""
from stargan.conv.choice import settings  # NOQA
from stargan.conv.functions import convolution_2d  # NOQA
from stargan.conv.functions import deconvolution_2d  # NOQA
from stargan.conv.functions import keep_filter_transforms  # NOQA
from stargan.conv.functions import translating  # NOQA
from stargan.conv.label_conv import convolution_with_labels  # NOQA
from stargan.conv.links import Convolution2D  # NOQA
from stargan.conv.links import Deconvolution2D  # NOQA
from stargan.conv.links import frozen_parameters  # NOQA
from stargan.conv.links import InstanceNormalization  # NOQA
from stargan.conv.links import LabelConvolution2D  # NOQA
