"""``--gpu N`` to a chainer device, with a clear message when CUDA is
missing."""
import chainer


def get_device(gpu):
    """The chainer device for a script's ``--gpu`` value.

    Args:
        gpu (int): GPU id; negative means the CPU.

    Returns:
        chainer.backend.Device: ``@numpy`` or ``@cupy:<gpu>``.

    Raises:
        ValueError: A GPU was asked for but CuPy/CUDA is not usable; the
            message says what to install or change.
    """
    if gpu < 0:
        return chainer.get_device('@numpy')
    from chainer.backends import cuda
    if not cuda.available:
        raise ValueError(
            '--gpu {}: CuPy with CUDA is not available on this machine. '
            'Install the GPU extra (pip install -e ".[gpu]") on a machine '
            'with an NVIDIA GPU, or leave out --gpu to run on the CPU.'
            .format(gpu))
    return chainer.get_device('@cupy:{}'.format(gpu))
