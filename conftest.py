"""Lets pytest import the project from a plain checkout too; loads the GPU
extra's cuDNN and NCCL before the tests import chainer (and CuPy)."""
from faceapp import devices

devices.preload_cuda_libraries()
