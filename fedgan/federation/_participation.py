"""How many rounds each client trained in, for the verdict.

With a fraction of the clients sampled each round, a client's sources and its critic learn
only in the rounds it trains in; a run that is short of them reads NOT LEARNED for a reason
the metrics alone do not show (docs/results-many-clients.md).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from fedgan.config import RunConfig

__all__ = ["FEW_ROUNDS_A_CLIENT", "clients_per_round", "participation", "too_few_rounds"]

# The fewest rounds per client at which a sampled federation of 100 ring clients learned
# (300: every mode held; 450 met every target; docs/results-many-clients.md).
FEW_ROUNDS_A_CLIENT = 300


def clients_per_round(config: RunConfig, num_partitions: int) -> int:
    """How many of ``num_partitions`` clients train each round (``fraction-train``, ``min-nodes``)."""
    if config.fraction_train >= 1:
        return num_partitions
    wanted = max(config.min_nodes, math.ceil(config.fraction_train * num_partitions))
    return min(num_partitions, wanted)


def too_few_rounds(config: RunConfig, num_partitions: int) -> str | None:
    """A warning when client sampling leaves each client too few rounds to train in.

    ``None`` when every client trains every round (a short run is the user's choice then)
    or each is expected to train in at least :data:`FEW_ROUNDS_A_CLIENT` rounds.
    """
    if num_partitions < 1:
        return None
    sampled = clients_per_round(config, num_partitions)
    each = config.num_server_rounds * sampled / num_partitions
    if sampled >= num_partitions or each >= FEW_ROUNDS_A_CLIENT:
        return None
    needed = math.ceil(FEW_ROUNDS_A_CLIENT * num_partitions / sampled)
    return (
        f"fraction-train={config.fraction_train:g} of {num_partitions} clients: each client "
        f"trains in about {each:.0f} of the {config.num_server_rounds} rounds, and its sources "
        f"and critic learn only then; sampled ring federations needed {FEW_ROUNDS_A_CLIENT}-450 "
        f"rounds a client (docs/results-many-clients.md): num-server-rounds >= "
        f"{needed} gives {FEW_ROUNDS_A_CLIENT}"
    )


def participation(
    clients: pd.DataFrame, num_partitions: int, *, rounds: int
) -> tuple[str, dict[str, Any]]:
    """The verdict's participation line and its numbers.

    Parameters
    ----------
    clients : pandas.DataFrame
        The run's ``clients`` table (``round``, ``partition_id``, ``status``).
    num_partitions : int
        Clients in the federation; one never sampled counts 0.
    rounds : int
        Rounds the run took.

    Returns
    -------
    tuple of (str, dict)
        The line, and ``participation/min``, ``/median``, ``/max`` for ``verdict.json``.
    """
    counts = np.zeros(num_partitions, dtype=int)
    if len(clients):
        ok = clients[clients["status"] == "ok"]
        per = ok.groupby("partition_id")["round"].nunique()
        counts[per.index.to_numpy(dtype=int)] = per.to_numpy()
    low, mid, high = int(counts.min()), float(np.median(counts)), int(counts.max())
    line = (
        f"  Participation: each of the {num_partitions} clients trained in {low}–{high} of "
        f"{rounds} rounds (median {mid:g}); a client's sources and critic learn only then."
    )
    return line, {"participation/min": low, "participation/median": mid, "participation/max": high}
