"""A whole federation in one process, no Flower: clients one after another, or side by side.

The same client and server code as the Flower apps, so the same seed writes the same
files as ``flwr run``. ``workers > 1`` trains a round's sampled clients in that many worker
processes of one thread each (a client's round depends only on what it is given, so the
files stay the same bit for bit).
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import NamedTuple

import numpy as np

from fedgan.config import RunConfig
from fedgan.federation._client import client_hello, client_round
from fedgan.federation._replies import Reply
from fedgan.federation._run import FederatedRun, RoundLine, sample_partitions
from fedgan.training import use_cpus

__all__ = ["run_in_process"]


def run_in_process(
    config: RunConfig,
    *,
    num_partitions: int | None = None,
    pooled: bool = False,
    workers: int = 1,
    on_round: Callable[[FederatedRun, RoundLine], None] | None = None,
) -> FederatedRun:
    """Run a whole federation in this process, clients one after another or side by side.

    Parameters
    ----------
    config : RunConfig
        The run.
    num_partitions : int, optional
        Clients (default ``num-partitions``, else the scenario's).
    pooled : bool
        One client holding every row (the centralised reference).
    workers : int
        Processes that train a round's sampled clients side by side, one thread each
        (1: every client in this process). The files do not depend on it.
    on_round : callable, optional
        Called after each round (progress display).

    Returns
    -------
    FederatedRun
        Finished; write it with :func:`fedgan.results.write_run`.

    Raises
    ------
    ValueError
        If ``workers`` is below 1.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    k = (
        1
        if pooled
        else (num_partitions or config.num_partitions or config.scenario_spec().num_partitions)
    )
    hellos = [
        client_hello(config, partition_id=p, num_partitions=k, pooled=pooled) for p in range(k)
    ]
    run = FederatedRun.build(config, hellos=hellos)
    first = run.begin()
    states: dict[int, dict[str, np.ndarray] | None] = dict.fromkeys(range(k))
    with _pool(workers) as pool:
        for rnd in range(first, config.num_server_rounds + 1):
            download = run.aggregator.download()
            sampled = sample_partitions(config, rnd, list(range(k)))
            jobs = [
                _Job(config, pid, k, rnd, download, states[pid], pooled, run.resumed_from)
                for pid in sampled
            ]
            done = pool.map(_train_client, jobs) if pool else map(_train_client, jobs)
            replies = []
            for pid, (reply, state) in zip(sampled, done, strict=True):
                if not reply.error:
                    states[pid] = state
                replies.append(reply)
            line = run.finish_round(rnd, replies)
            if on_round is not None:
                on_round(run, line)
            if run.should_stop:
                break
    return run


class _Job(NamedTuple):
    """One sampled client's round, as a worker process receives it."""

    config: RunConfig
    partition_id: int
    num_partitions: int
    server_round: int
    download: Mapping[str, np.ndarray]
    saved: dict[str, np.ndarray] | None
    pooled: bool
    resumed_from: int


def _train_client(job: _Job) -> tuple[Reply, dict[str, np.ndarray] | None]:
    """A client's reply and the state it keeps; a failed client's reply carries its error."""
    options = job._asdict()  # the fields are client_round's keywords
    try:
        res = client_round(options.pop("config"), **options)
    except Exception as err:  # a failed client is left out of the round, as in Flower
        error = f"{type(err).__name__}: {err}"
        return Reply(partition_id=job.partition_id, arrays={}, metrics={}, error=error), None
    reply = Reply(partition_id=job.partition_id, arrays=res.arrays, metrics=res.metrics)
    return reply, res.state


@contextlib.contextmanager
def _pool(workers: int) -> Iterator[Executor | None]:
    """``workers`` one-thread processes (spawned: a forked torch can hang), or none for 1."""
    if workers == 1:
        yield None
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=use_cpus, initargs=(1,)) as pool:
        yield pool
