"""The wire format between fedgan's clients and server, written once.

Arrays travel as flat ``name → numpy array`` maps whose key prefix says how the
server merges them:

* ``g/<param>`` — shared generator weights, averaged with the client weights;
* ``o/<param>`` — a client's own source slices (client-conditional federation), one
  row per group, placed at the client's rows of the global table;
* ``c/<param>`` — the critic, when the federation design lets it travel, averaged.

Every reply carries one metrics map with the keys of :data:`SCALAR_KEYS` and, for each
group g, ``group/<g>/<stat>`` for :data:`GROUP_STATS`. A client that did not train
(privacy budget spent) replies with ``status`` :data:`STATUS_STOPPED`, zero examples and
NaN statistics, so every reply has the same keys (Flower requires it).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "CRITIC",
    "GENERATOR",
    "GROUP_STATS",
    "OWNED",
    "RESUMED_FROM",
    "SCALAR_KEYS",
    "SERVER_ROUND",
    "ClientReport",
    "ReplyStatus",
    "group_key",
    "pack",
    "read_report",
    "read_round_instructions",
    "report_metrics",
    "round_instructions",
    "unpack",
]

GENERATOR = "g/"
OWNED = "o/"
CRITIC = "c/"

SCALAR_KEYS = (
    "num-examples",
    "num-groups",
    "num-partitions",
    "partition-id",
    "status",
    "critic-steps",
    "generator-steps",
    "loss-d",
    "loss-g",
    "privacy/epsilon",
)
GROUP_STATS = ("count", "wasserstein", "grad-norm", "gp", "loss-weight")

# The server's half: what every training message tells the client besides the arrays.
SERVER_ROUND = "server-round"
RESUMED_FROM = "resumed-from"


def round_instructions(server_round: int, resumed_from: int) -> dict[str, int]:
    """The config the server sends with a round: its number and the round it resumed after."""
    return {SERVER_ROUND: int(server_round), RESUMED_FROM: int(resumed_from)}


def read_round_instructions(config: Mapping[str, object]) -> tuple[int, int]:
    """``(server_round, resumed_from)`` from a training message's config.

    Raises
    ------
    ValueError
        If ``server-round`` is missing or not a whole number >= 1.
    """
    rnd, resumed = config.get(SERVER_ROUND), config.get(RESUMED_FROM, 0)
    if not isinstance(rnd, int | float) or isinstance(rnd, bool) or rnd != int(rnd) or rnd < 1:
        raise ValueError(f"the server's {SERVER_ROUND!r} must be a whole number >= 1, got {rnd!r}")
    if not isinstance(resumed, int | float) or isinstance(resumed, bool) or resumed < 0:
        raise ValueError(f"the server's {RESUMED_FROM!r} must be >= 0, got {resumed!r}")
    return int(rnd), int(resumed)


class ReplyStatus(enum.IntEnum):
    """What a client did with a round."""

    OK = 0
    STOPPED = 1  # did not train: its privacy budget would be exceeded


def group_key(group: int, stat: str) -> str:
    """``group/<g>/<stat>``."""
    return f"group/{group}/{stat}"


def pack(prefix: str, state: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """``prefix + name → contiguous CPU array`` for every tensor of ``state``."""
    return {prefix + k: np.ascontiguousarray(v.detach().cpu().numpy()) for k, v in state.items()}


def unpack(prefix: str, arrays: Mapping[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """The tensors under ``prefix``, prefix removed."""
    n = len(prefix)
    return {k[n:]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith(prefix)}


@dataclass(frozen=True)
class ClientReport:
    """A reply's metrics, read and checked.

    Attributes
    ----------
    partition_id, num_partitions, num_groups : int
        Who the client is and the federation's shape as it sees it.
    status : ReplyStatus
        Trained, or stopped.
    counts : np.ndarray
        ``[G]`` rows per group it trained on.
    loss_weights : np.ndarray
        ``[G]`` its loss weights ``w_g`` (NaN when it did not train).
    metrics : dict of str to float
        Everything it sent.
    """

    partition_id: int
    num_partitions: int
    num_groups: int
    status: ReplyStatus
    counts: np.ndarray
    loss_weights: np.ndarray
    metrics: dict[str, float]


def report_metrics(
    *,
    partition_id: int,
    num_partitions: int,
    counts: np.ndarray,
    status: ReplyStatus = ReplyStatus.OK,
    stats: Mapping[str, np.ndarray] | None = None,
    scalars: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """A reply's metrics with every key of the protocol (NaN where not measured).

    ``stats`` maps each of :data:`GROUP_STATS` but ``count`` to a ``[G]`` array;
    ``scalars`` gives any of :data:`SCALAR_KEYS`.
    """
    g = len(counts)
    out = {k: math.nan for k in SCALAR_KEYS}
    out |= {
        "num-examples": float(np.sum(counts)) if status is ReplyStatus.OK else 0.0,
        "num-groups": float(g),
        "num-partitions": float(num_partitions),
        "partition-id": float(partition_id),
        "status": float(status),
    }
    out |= {k: float(v) for k, v in (scalars or {}).items()}
    for gi in range(g):
        out[group_key(gi, "count")] = float(counts[gi])
        for stat in GROUP_STATS[1:]:
            values = (stats or {}).get(stat)
            out[group_key(gi, stat)] = math.nan if values is None else float(values[gi])
    return out


def read_report(metrics: Mapping[str, object]) -> ClientReport:
    """Read a reply's metrics; raise ``ValueError`` naming the first missing or bad key."""

    def num(key: str) -> float:
        if key not in metrics:
            raise ValueError(f"reply lacks metric {key!r}")
        value = metrics[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"reply metric {key!r} must be a number, got {value!r}")
        return float(value)

    def whole(key: str, low: int) -> int:
        v = num(key)
        if not math.isfinite(v) or v != int(v) or v < low:
            raise ValueError(f"reply metric {key!r} must be an integer >= {low}, got {v}")
        return int(v)

    g = whole("num-groups", 1)
    status = whole("status", 0)
    if status not in set(ReplyStatus):
        raise ValueError(
            f"reply metric 'status' must be one of {[int(s) for s in ReplyStatus]}, got {status}"
        )
    counts = np.array([num(group_key(gi, "count")) for gi in range(g)])
    if not np.isfinite(counts).all() or (counts < 0).any() or (counts != np.round(counts)).any():
        raise ValueError(
            f"reply group counts must be finite non-negative integers, got {counts.tolist()}"
        )
    return ClientReport(
        partition_id=whole("partition-id", 0),
        num_partitions=whole("num-partitions", 1),
        num_groups=g,
        status=ReplyStatus(status),
        counts=counts,
        loss_weights=np.array([num(group_key(gi, "loss-weight")) for gi in range(g)]),
        metrics={k: num(k) for k in metrics},
    )
