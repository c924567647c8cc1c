"""How many rounds each client trained in, for the verdict.

With a fraction of the clients sampled each round, a client's sources and its critic learn
only in the rounds it trains in; a run that is short of them reads NOT LEARNED for a reason
the metrics alone do not show (docs/results.md, "Many small clients").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["participation"]


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
