"""Multi-process helpers that need no MPI."""
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
