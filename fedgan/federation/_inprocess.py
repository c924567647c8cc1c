"""A whole federation in one process, no Flower: clients one after another.

The same client and server code as the Flower apps, so the same seed writes the same
files as ``flwr run``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fedgan.config import RunConfig
from fedgan.federation._client import client_hello, client_round
from fedgan.federation._replies import Reply
from fedgan.federation._run import FederatedRun, RoundLine, sample_partitions

__all__ = ["run_in_process"]


def run_in_process(
    config: RunConfig,
    *,
    num_partitions: int | None = None,
    pooled: bool = False,
    on_round: Callable[[FederatedRun, RoundLine], None] | None = None,
) -> FederatedRun:
    """Run a whole federation in this process, clients one after another.

    Parameters
    ----------
    config : RunConfig
        The run.
    num_partitions : int, optional
        Clients (default ``num-partitions``, else the scenario's).
    pooled : bool
        One client holding every row (the centralised reference).
    on_round : callable, optional
        Called after each round (progress display).

    Returns
    -------
    FederatedRun
        Finished; write it with :func:`fedgan.results.write_run`.
    """
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
    for rnd in range(first, config.num_server_rounds + 1):
        download = run.aggregator.download()
        replies = []
        for pid in sample_partitions(config, rnd, list(range(k))):
            try:
                res = client_round(
                    config,
                    partition_id=pid,
                    num_partitions=k,
                    server_round=rnd,
                    download=download,
                    saved=states[pid],
                    pooled=pooled,
                    resumed_from=run.resumed_from,
                )
            except Exception as err:  # a failed client is left out of the round, as in Flower
                replies.append(
                    Reply(
                        partition_id=pid,
                        arrays={},
                        metrics={},
                        error=f"{type(err).__name__}: {err}",
                    )
                )
                continue
            states[pid] = res.state
            replies.append(Reply(partition_id=pid, arrays=res.arrays, metrics=res.metrics))
        line = run.finish_round(rnd, replies)
        if on_round is not None:
            on_round(run, line)
        if run.should_stop:
            break
    return run
