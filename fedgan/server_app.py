"""Flower ServerApp: drive the run with :class:`strategies.FederatedGAN`, write its folder.

One line per round goes to the console (prefixed ``[fedgan]``); the verdict and the
results folder at the end.
"""

from __future__ import annotations

import pandas as pd
from flwr.app import Context
from flwr.serverapp import Grid, ServerApp
from threadpoolctl import threadpool_limits

import strategies as _strategies
from fedgan.config import RunConfig
from fedgan.console import PREFIX
from fedgan.federation import check_split, clear_checkpoints
from fedgan.results import check_writable, read_reference, write_run

if not getattr(_strategies, "FEDGAN_STRATEGIES", False):
    raise ImportError(
        f"the package 'strategies' at {getattr(_strategies, '__file__', '?')} is not fedgan's: "
        "another installed package of that name shadows it; uninstall it or run from a fedgan "
        "checkout"
    )
from strategies import FederatedGAN

app = ServerApp()


def _fork_safe_blas() -> None:
    """Keep BLAS single-threaded in this process.

    Flower forks Ray from this process while the ServerApp thread may sit in a BLAS call;
    a fork during a multi-threaded OpenBLAS call deadlocks the whole process, and Flower
    then drops the run for missed heartbeats (docs/federation.md).
    """
    threadpool_limits(limits=1, user_api="blas")


@app.main()
def main(grid: Grid, context: Context) -> None:
    """Run ``num-server-rounds`` rounds and write the results folder."""
    _fork_safe_blas()
    config = RunConfig.from_mapping(context.run_config)  # refuses bad keys before any work
    check_writable(config.output_path)
    if config.num_partitions:  # a split the run config fixes is checked before waiting for nodes
        check_split(config, config.num_partitions)
    reference = read_reference(config)
    strategy = FederatedGAN(config, on_round=lambda run, line: run.print_round(line))
    strategy.start(grid)
    assert strategy.run is not None
    files = strategy.run.files(mode="federated", reference=reference)
    # Flower's node ids are drawn anew every run: kept apart so the other files repeat exactly.
    nodes = pd.DataFrame(sorted(strategy.nodes.items()), columns=["partition_id", "node_id"])
    files.extra["nodes.csv"] = nodes.to_csv(index=False)
    out = write_run(config.output_path, files)
    clear_checkpoints(config)
    print(f"\n{files.verdict.text()}\n{PREFIX} results written to {out.resolve()}", flush=True)
