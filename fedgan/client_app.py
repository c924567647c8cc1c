"""Flower ClientApp: answer the handshake, train a round, keep the client's state.

The work is :func:`fedgan.federation.client_round`; this file only moves records. A
SuperNode started with ``--node-config 'data-path="rows.csv"'`` trains on that file
(:func:`fedgan.data.read_owner_file`) instead of the scenario's split. The client's state (its critic unless it travels, optimiser states, own generator sources,
group weights, privacy accounting) stays in ``context.state`` and never leaves.
"""

from __future__ import annotations

import functools
from typing import Any

from flwr.app import Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from fedgan._records import from_record, to_record
from fedgan.config import RunConfig
from fedgan.federation import client_hello, client_round
from fedgan.protocol import read_round_instructions

app = ClientApp()
STATE_KEY = "fedgan"


@functools.lru_cache(maxsize=8)
def _config(items: tuple[tuple[str, Any], ...]) -> RunConfig:
    return RunConfig.from_mapping(dict(items))


def _setup(context: Context) -> tuple[RunConfig, int, int, str | None]:
    """The run config, this node's partition, the partitions, and its own data file if any."""
    config = _config(tuple(sorted(context.run_config.items())))
    node = context.node_config
    path = node.get("data-path")
    return (
        config,
        int(node["partition-id"]),
        int(node["num-partitions"]),
        str(path) if path else None,
    )


@app.query()
def hello(msg: Message, context: Context) -> Message:
    """Who this client is and how many rows of each group it holds."""
    config, pid, k, path = _setup(context)
    metrics = client_hello(config, partition_id=pid, num_partitions=k, data_path=path)
    return Message(RecordDict({"metrics": MetricRecord(metrics)}), reply_to=msg)  # type: ignore[arg-type]


@app.train()
def train(msg: Message, context: Context) -> Message:
    """Train one round from the server's weights and this client's kept state."""
    config, pid, k, path = _setup(context)
    kept = context.state.array_records
    saved = from_record(kept[STATE_KEY]) if STATE_KEY in kept else None
    server_round, resumed_from = read_round_instructions(msg.content.config_records["config"])
    result = client_round(
        config,
        partition_id=pid,
        num_partitions=k,
        server_round=server_round,
        download=from_record(msg.content.array_records["arrays"]),
        saved=saved,
        resumed_from=resumed_from,
        data_path=path,
    )
    context.state[STATE_KEY] = to_record(result.state)
    metrics = MetricRecord(result.metrics)  # type: ignore[arg-type]
    content = RecordDict({"arrays": to_record(result.arrays), "metrics": metrics})
    return Message(content, reply_to=msg)
