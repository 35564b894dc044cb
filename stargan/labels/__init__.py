"""Label vectors and layouts: groups, label specs, joint (mask vector)
layouts."""
from stargan.labels.groups import edit_targets  # NOQA
from stargan.labels.groups import group_slices  # NOQA
from stargan.labels.groups import is_multi_label  # NOQA
from stargan.labels.groups import random_labels  # NOQA
from stargan.labels.joint import JointLayout  # NOQA
from stargan.labels.joint import masked_accuracy  # NOQA
from stargan.labels.joint_specs import JointLabelLayout  # NOQA
from stargan.labels.joint_specs import layout_for  # NOQA
from stargan.labels.specs import interpolate_labels  # NOQA
from stargan.labels.specs import LabelLayout  # NOQA
