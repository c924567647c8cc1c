"""Intra-op threads that match the CPUs a process was given.

torch (and the BLAS under numpy) start one thread per core of the machine. Two such
processes on the same cores oversubscribe them, and OpenMP's busy-waiting threads then run
30–50× slower than one thread each (measured: docs/performance.md). Every fedgan entry
point that trains calls :func:`use_cpus` with the CPUs it was given.
"""

from __future__ import annotations

import os

import torch
from threadpoolctl import threadpool_limits

__all__ = ["available_cpus", "use_cpus"]


def available_cpus() -> int:
    """CPUs this process may use: ``OMP_NUM_THREADS`` when set, else its CPU affinity."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity on this platform (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def use_cpus(cpus: int | None = None) -> int:
    """Set torch's and BLAS's thread pools to ``cpus`` threads (default :func:`available_cpus`).

    Parameters
    ----------
    cpus : int, optional
        CPUs given to this process; ``None`` takes :func:`available_cpus`.

    Returns
    -------
    int
        The number of threads now in use.

    Raises
    ------
    ValueError
        If ``cpus`` is below 1.
    """
    n = available_cpus() if cpus is None else int(cpus)
    if n < 1:
        raise ValueError(f"cpus must be >= 1, got {cpus}")
    torch.set_num_threads(n)
    threadpool_limits(limits=n)
    return n
