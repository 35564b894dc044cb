"""A median timer with no dependencies, shared by the benchmark scripts
(``torch_reference.py`` runs in an environment without this project's
packages, so it imports this file by path)."""
import statistics
import time


def median_seconds(fn, rounds):
    """Median wall time of ``rounds`` calls of ``fn`` after one untimed call.

    Args:
        fn (callable): Called without arguments.
        rounds (int): Timed calls.

    Returns:
        float: Seconds.
    """
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
