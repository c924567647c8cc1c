"""MinorityWeightedFedAvg: Flower's FedAvg with weights that favour minority clients."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from logging import INFO
from typing import Any

import numpy as np
from flwr.app import ArrayRecord, Message, MetricRecord
from flwr.serverapp.strategy import FedAvg
from flwr.serverapp.strategy.strategy_utils import aggregate_arrayrecords
from flwr.supercore import log

from strategies._weights import WeightScheme, client_weights

__all__ = ["MinorityWeightedFedAvg"]

WEIGHT_KEY = "aggregation-weight"
GROUP_COUNT_PREFIX = "group/"


def group_counts(metrics: MetricRecord, num_groups: int) -> list[float]:
    """Per-group row counts a client reported (``group/<g>/count``)."""
    return [_num(metrics, f"{GROUP_COUNT_PREFIX}{g}/count", 0.0) for g in range(num_groups)]


def _num(metrics: MetricRecord, key: str, default: float = float("nan")) -> float:
    value = metrics.get(key, default)
    if isinstance(value, list):
        raise TypeError(f"metric {key!r} must be a number, got a list")
    return float(value)


def _num_groups(metrics: MetricRecord) -> int:
    return int(_num(metrics, "num-groups"))


class MinorityWeightedFedAvg(FedAvg):
    """FedAvg whose generator average is weighted by :func:`strategies.client_weights`.

    Each reply's MetricRecord must carry ``num-groups`` and ``group/<g>/count``;
    the weights are computed on the server from those counts, written into each
    reply as ``aggregation-weight`` and used by Flower's own array averaging.
    Every round's per-client weights are kept in :attr:`weight_log` and every
    client's metrics in :attr:`client_log`.

    Parameters
    ----------
    scheme : {"size", "uniform", "group-balanced", "kl"}
        Weighting scheme (see :func:`strategies.client_weights`).
    beta : float
        Mix between size (0) and group-balanced (1) weighting.
    target_share : sequence of float, optional
        Target group shares π_g for group-balanced weighting.
    **kwargs
        Passed to :class:`flwr.serverapp.strategy.FedAvg`.
    """

    def __init__(
        self,
        *,
        scheme: WeightScheme = "group-balanced",
        beta: float = 1.0,
        target_share: Sequence[float] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Validate the numbers now, not in round 1.
        client_weights([[1.0]], scheme=scheme, beta=beta)
        self.scheme: WeightScheme = scheme
        self.beta = beta
        self.target_share = None if target_share is None else tuple(target_share)
        self.weight_log: list[dict[str, Any]] = []
        self.client_log: list[dict[str, Any]] = []

    def summary(self) -> None:
        """Log the weighting next to FedAvg's summary."""
        super().summary()
        log(
            INFO,
            "\t└──> Client weights: %s (beta=%s, target share=%s)",
            self.scheme,
            self.beta,
            self.target_share,
        )

    def aggregate_train(
        self, server_round: int, replies: Iterable[Message]
    ) -> tuple[ArrayRecord | None, MetricRecord | None]:
        """Average generator arrays with minority-favouring client weights."""
        valid, _ = self._check_and_log_replies(replies, is_train=True)
        contents = [m.content for m in valid]
        metrics = [next(iter(c.metric_records.values())) for c in contents]
        # A client that stopped (e.g. privacy budget spent) reports 0 examples: no update.
        keep = [i for i, m in enumerate(metrics) if _num(m, "num-examples", 0.0) > 0]
        for i, m in enumerate(metrics):
            if i not in keep:
                self.client_log.append({"round": server_round, **_plain(m)})
        if not keep:
            log(
                INFO,
                "aggregate_train: no client trained in round %d; keeping the model",
                server_round,
            )
            return None, None
        contents = [contents[i] for i in keep]
        metrics = [metrics[i] for i in keep]
        g = _num_groups(metrics[0])
        counts = np.array([group_counts(m, g) for m in metrics])
        w = client_weights(
            counts, scheme=self.scheme, beta=self.beta, target_share=self.target_share
        )
        for m, wk in zip(metrics, w):
            m[WEIGHT_KEY] = float(wk)
        for src, m, wk, row in zip((valid[i] for i in keep), metrics, w, counts):
            pid = int(_num(m, "partition-id", -1.0))
            self.weight_log.append(
                {"round": server_round, "node_id": src.metadata.src_node_id, "partition_id": pid,
                 "weight": float(wk), "num_examples": float(row.sum())}
                | {f"group_{j}_count": float(c) for j, c in enumerate(row)}
            )  # fmt: skip
            self.client_log.append({"round": server_round, **_plain(m)})
        log(INFO, "aggregate_train: client weights %s", _fmt(self.weight_log[-len(w) :]))
        return aggregate_arrayrecords(contents, WEIGHT_KEY), _pool(metrics, counts)


def _plain(m: MetricRecord) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, list) else v) for k, v in m.items()}


def _fmt(rows: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"p{r['partition_id']}={r['weight']:.3f}"
        for r in sorted(rows, key=lambda r: r["partition_id"])
    )


def _pool(metrics: list[MetricRecord], counts: np.ndarray) -> MetricRecord:
    """Federation-level statistics: summed counts, count-weighted per-group means."""
    out: dict[str, float] = {"num-clients": float(len(metrics))}
    for gi in range(counts.shape[1]):
        n = counts[:, gi]
        out[f"{GROUP_COUNT_PREFIX}{gi}/count"] = float(n.sum())
        for stat in ("wasserstein", "grad-norm"):
            vals = np.array([_num(m, f"{GROUP_COUNT_PREFIX}{gi}/{stat}") for m in metrics])
            ok = np.isfinite(vals) & (n > 0)
            if ok.any():
                out[f"{GROUP_COUNT_PREFIX}{gi}/{stat}"] = float(np.average(vals[ok], weights=n[ok]))
    for key in ("loss-d", "loss-g"):
        out[key] = float(np.mean([_num(m, key) for m in metrics]))
    return MetricRecord(out)  # type: ignore[arg-type]
