"""Multi-process helpers that need no MPI."""
import io
import sys

import pytest

from extensions import multinode
from extensions import safety


def test_missing_mpi4py_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mpi4py', None)  # import fails
    with pytest.raises(multinode.SetupError) as e:
        multinode.create_communicator('naive', -1)
    assert 'apt install openmpi-bin' in str(e.value)
    assert '.[mpi]' in str(e.value) and 'mpiexec -n' in str(e.value)


def test_gpu_communicators_need_a_gpu():
    with pytest.raises(multinode.SetupError, match='use --communicator '
                       'naive'):
        multinode.create_communicator('flat', -1)


@pytest.mark.parametrize('name', ['naive', 'flat'])
def test_gpu_memory_is_not_handed_to_an_mpi_that_cannot_read_it(name):
    with pytest.raises(multinode.SetupError) as e:
        multinode.check_cuda_aware(name, 0, False)
    assert 'not CUDA-aware' in str(e.value)
    assert '--communicator pure_nccl' in str(e.value)


def test_an_mpi_that_does_not_say_gets_a_warning_only():
    err = io.StringIO()
    multinode.check_cuda_aware('naive', 1, None, stream=err)
    assert err.getvalue().startswith('warning: --communicator naive')
    assert 'pure_nccl' in err.getvalue()


@pytest.mark.parametrize('name, gpu, aware', [
    ('naive', -1, False),      # CPU buffers: any MPI
    ('pure_nccl', 0, False),   # NCCL, not MPI, moves GPU memory
    ('flat', 0, True)])        # a CUDA-aware MPI
def test_other_setups_pass_silently(name, gpu, aware):
    err = io.StringIO()
    multinode.check_cuda_aware(name, gpu, aware, stream=err)
    assert err.getvalue() == ''


def _library(answer=None):
    lib = type('Library', (), {})()
    if answer is not None:
        lib.MPIX_Query_cuda_support = lambda: answer
    return lib


def test_the_mpi_library_is_asked_whether_it_reads_gpu_memory():
    assert multinode.mpi_cuda_support(_library(0)) is False
    assert multinode.mpi_cuda_support(_library(1)) is True
    assert multinode.mpi_cuda_support(_library()) is None  # no such query


def test_means_are_weighted_by_each_process_images():
    parts = [(3, {'a': 1.0, 'b': 2.0}), (1, {'a': 0.0}), (0, {'b': 9.0})]
    assert multinode.weighted_mean(parts) == {'a': 0.75, 'b': 2.0}


def test_a_signal_in_any_process_stops_all_at_once():
    flags = []

    def agree(flag):  # as allreduce over two processes, the other signalled
        flags.append(flag)
        return True
    stop = safety.GracefulStop((100, 'iteration'), agree=agree)

    class Trainer:
        class updater:
            iteration = 1
            epoch_detail = 0.
            is_new_epoch = False
    assert stop(Trainer) and stop.stopped and stop.received is None
    assert flags == [False]
