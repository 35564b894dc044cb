"""Data-parallel training across processes with ChainerMN.

``mpiexec -n N python train.py --communicator naive`` starts N copies of
train.py. Each reads its share of every batch
(:mod:`datasets.iterators.shard`), computes gradients on it, and
multi-node optimizers average the gradients of G and D (the gradient
penalty's included) over all processes before every update, so the models
stay identical everywhere. Process 0 alone writes logs,
grids, snapshots and the exported model; evaluation splits its test images
across the processes and process 0 reports the count-weighted means.
"""
import ctypes
import sys
import warnings

import chainer
from chainer import training

#: ``--communicator`` names and what they need.
COMMUNICATORS = {
    'naive': 'CPU, or GPU with a CUDA-aware MPI; the one to use on CPUs',
    'flat': 'GPU (CuPy) with a CUDA-aware MPI; MPI all-reduce of one '
            'packed buffer',
    'pure_nccl': 'GPU (CuPy with NCCL); all-reduce by NCCL, the one to use '
                 'on GPUs',
}

#: Communicators that hand MPI the arrays themselves (GPU memory with
#: --gpu); pure_nccl all-reduces through NCCL instead.
MPI_BUFFERS = ('naive', 'flat')

INSTALL_HINT = (
    'install an MPI and mpi4py (Debian/Ubuntu: apt install openmpi-bin '
    'libopenmpi-dev; then pip install -e ".[mpi]") and start the processes '
    'with mpiexec -n N python train.py --communicator naive ...')


class SetupError(ValueError):
    """A communicator cannot be created; the message says what to do."""


def create_communicator(name, gpu):
    """Creates a ChainerMN communicator for ``--communicator``.

    Args:
        name (str): A key of :data:`COMMUNICATORS`.
        gpu (int): ``--gpu``; ``flat`` and ``pure_nccl`` need one (>= 0).

    Returns:
        chainermn.CommunicatorBase: With ``rank``, ``size``,
        ``intra_rank``.

    Raises:
        SetupError: Unknown name, a GPU communicator without --gpu, or no
            MPI / mpi4py.
    """
    if name not in COMMUNICATORS:
        raise SetupError('--communicator {!r}: choose one of {}'.format(
            name, ', '.join(sorted(COMMUNICATORS))))
    if name != 'naive' and gpu < 0:
        raise SetupError('--communicator {} needs GPUs ({}); on CPUs use '
                         '--communicator naive'.format(
                             name, COMMUNICATORS[name]))
    try:
        import mpi4py.MPI  # NOQA: F401  (fails clearly without an MPI)
        import chainermn
    except (ImportError, RuntimeError, OSError) as e:
        raise SetupError('--communicator {} needs MPI, which is not '
                         'available here ({}); {}'.format(name, e,
                                                          INSTALL_HINT))
    check_cuda_aware(name, gpu, mpi_cuda_support())
    return chainermn.create_communicator(name)


def mpi_cuda_support(lib=None):
    """Whether the MPI library in this process reads GPU memory.

    Asks ``MPIX_Query_cuda_support()``, the run-time query of Open MPI
    (2.0 on) and MPICH (4.0 on); call it after MPI is loaded.

    Args:
        lib: The library to ask (a ``ctypes.CDLL``); None: every library
            loaded in the process.

    Returns:
        bool or None: The answer, or None where the MPI has no such query.
    """
    try:
        lib = ctypes.CDLL(None) if lib is None else lib
        query = getattr(lib, 'MPIX_Query_cuda_support', None)
    except OSError:
        return None
    if query is None:
        return None
    query.argtypes, query.restype = [], ctypes.c_int
    return bool(query())


def check_cuda_aware(name, gpu, cuda_aware, stream=sys.stderr):
    """Refuses (or, when it cannot be told, warns about) a communicator
    that would hand GPU memory to an MPI that cannot read it.

    ``naive`` and ``flat`` pass the gradients' own buffers to MPI's
    all-reduce; with ``--gpu`` those are device pointers, which only a
    CUDA-aware MPI reads (Debian's and Ubuntu's OpenMPI packages are not
    one: the processes would crash or sum garbage).

    Args:
        name (str): ``--communicator``.
        gpu (int): ``--gpu``.
        cuda_aware (bool or None): :func:`mpi_cuda_support`'s answer.
        stream (file): Where the warning goes.

    Raises:
        SetupError: The MPI says it is not CUDA-aware.
    """
    if gpu < 0 or name not in MPI_BUFFERS or cuda_aware:
        return
    advice = ('use --communicator pure_nccl on GPUs (NCCL, from the gpu '
              'extra), or an MPI built with CUDA support')
    if cuda_aware is False:
        raise SetupError(
            '--communicator {} with --gpu hands GPU memory to MPI, and this '
            'MPI is not CUDA-aware (Debian\'s and Ubuntu\'s OpenMPI are '
            'not); {}'.format(name, advice))
    print('warning: --communicator {} with --gpu hands GPU memory to MPI, '
          'which needs a CUDA-aware MPI, and this MPI does not say whether '
          'it is one; if training crashes or diverges, {}'.format(
              name, advice), file=stream, flush=True)


def device_spec(comm, gpu):
    """Each process's device: GPU ``gpu + intra_rank`` (one per process on
    a machine), or the CPU for ``gpu < 0``."""
    return gpu + comm.intra_rank if gpu >= 0 else -1


def is_writer(comm):
    """Whether this process writes outputs (process 0, or no MPI)."""
    return comm is None or comm.rank == 0


def shard_of(comm):
    """``(rank, n_processes)``; ``(0, 1)`` without MPI."""
    return (0, 1) if comm is None else (comm.rank, comm.size)


def multi_node_adam(optimizer, comm):
    """Wraps a set-up optimizer so gradients are averaged over processes.

    Every process starts from process 0's parameters. ChainerMN's wrapper
    spends its first update on that broadcast; it is done here instead, so
    that the first step trains as it does in a single process.
    """
    import chainermn
    model = optimizer.target
    comm.bcast_data(model)
    wrapped = chainermn.create_multi_node_optimizer(optimizer, comm)
    wrapped.is_changed(model)  # records the parameter set: no 2nd broadcast
    return wrapped


def gather_rows(comm):
    """For CycleGAN's updater: ``x -> every process's x`` concatenated
    along the batch axis in rank order (an all-gather), or None without
    several processes."""
    if comm is None or comm.size == 1:
        return None

    def gather(x):
        xp = chainer.backend.get_array_module(x)
        with warnings.catch_warnings():  # "allgather is experimental"
            warnings.simplefilter('ignore', FutureWarning)
            parts = comm.allgather(xp.ascontiguousarray(x))
        return xp.concatenate(parts)
    return gather


def agree_to_stop(comm):
    """For :class:`extensions.safety.GracefulStop`: stop when any process
    got a signal, all at the same iteration (else the rest would wait in
    the next all-reduce forever)."""
    return lambda flag: bool(comm.allreduce_obj(int(bool(flag))))


def abort(comm, error, stream=sys.stderr):
    """Ends every process after a failure in this one, saying why.

    Without it the other processes would wait in their next all-reduce
    forever.
    """
    print('error: process {} of {} failed ({}: {}); ending all processes.'
          .format(comm.rank, comm.size, type(error).__name__, error),
          file=stream, flush=True)
    comm.mpi_comm.Abort(1)


class MultiNodeEvaluate(training.Extension):
    """Runs an evaluation on every process and reports the mean on process 0.

    Each process's evaluation extension holds its own share of the test
    images; their scalar results are averaged, weighted by the number of
    images. Means (accuracies, L1) equal a single process's; a distance
    between distributions (Frechet, kernel) becomes the mean of per-share
    distances. Process 0 trains or loads the judges first, so the others
    read them from the cache.

    Args:
        evaluate: Has ``evaluate() -> {key: float}`` and ``prepare()``.
        comm: The communicator.
        n_images (int): This process's number of test images.
    """

    priority = training.PRIORITY_WRITER

    def __init__(self, evaluate, comm, n_images):
        self.evaluate, self.comm, self.n_images = evaluate, comm, n_images
        self._prepared = False

    def __call__(self, trainer):
        if not self._prepared:
            if self.comm.rank == 0:
                self.evaluate.prepare()
            self.comm.mpi_comm.Barrier()
            self.evaluate.prepare()
            self._prepared = True
        parts = self.comm.gather_obj((self.n_images, self.evaluate.evaluate()))
        if self.comm.rank == 0:
            chainer.report(weighted_mean(parts))


def weighted_mean(parts):
    """``{key: mean}`` of ``[(weight, {key: float}), ...]`` over the parts
    that have each key."""
    out = {}
    for key in sorted({k for _, result in parts for k in result}):
        pairs = [(n, r[key]) for n, r in parts if key in r and n > 0]
        total = sum(n for n, _ in pairs)
        if total:
            out[key] = sum(n * v for n, v in pairs) / total
    return out
