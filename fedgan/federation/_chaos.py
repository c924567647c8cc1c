"""Chaos testing: the faults ``fail-rate`` injects around a client's round.

On the rounds a seeded draw picks (reproducibly, from seed, round and client), a client
either crashes (``fail-mode = "crash"``) or trains and then sends a faulty reply — NaN
arrays, arrays ×1e4, or inflated row counts — while keeping the state it started from.
``lie-at-handshake`` makes one client declare :data:`LIE_ROWS` extra rows of every group.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from fedgan.protocol import ReplyStatus

if TYPE_CHECKING:
    from fedgan.config import RunConfig
    from fedgan.federation._client import ClientRoundResult

__all__ = ["LIE_ROWS", "SimulatedFailure", "with_chaos"]

LIE_ROWS = 1e6  # rows a lying client adds to every group it declares (lie-at-handshake)


class SimulatedFailure(RuntimeError):
    """A client failure injected by ``fail-rate`` (chaos testing)."""


def with_chaos(train_round: Callable[..., ClientRoundResult]) -> Callable[..., ClientRoundResult]:
    """``train_round`` with ``fail-rate``'s faults around it.

    Raises
    ------
    SimulatedFailure
        On the rounds ``fail-rate`` picks, with ``fail-mode = "crash"``.
    """

    @functools.wraps(train_round)
    def round_with_faults(
        config: RunConfig, *, partition_id: int, server_round: int, **kwargs: Any
    ) -> ClientRoundResult:
        faulty = bool(config.fail_rate) and (
            _draw(config.seed, server_round, partition_id) < config.fail_rate
        )
        if faulty and config.fail_mode == "crash":
            raise SimulatedFailure(
                f"partition {partition_id}, round {server_round}: failure injected by fail-rate"
            )
        result = train_round(
            config, partition_id=partition_id, server_round=server_round, keep=not faulty, **kwargs
        )
        if not faulty or result.metrics.get("status") == ReplyStatus.STOPPED:
            return result  # a client that did not train sends its plain stop reply
        arrays, metrics = _corrupt(config.fail_mode, result.arrays, result.metrics)
        return type(result)(arrays=arrays, metrics=metrics, state=result.state)

    return round_with_faults


def _corrupt(
    mode: str, arrays: dict[str, np.ndarray], metrics: dict[str, float]
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """A faulty client's reply (chaos testing): NaN arrays, ×1e4 arrays, or inflated counts."""
    if mode == "nan":
        return {k: np.full_like(v, np.nan) for k, v in arrays.items()}, metrics
    if mode == "scale":
        return {k: v * 1e4 for k, v in arrays.items()}, metrics
    return arrays, {k: v * 1e6 if k.endswith("/count") else v for k, v in metrics.items()}


def _draw(seed: int, server_round: int, partition_id: int) -> float:
    """A uniform number fixed by (seed, round, client): which rounds fail is reproducible."""
    return float(np.random.default_rng([seed, server_round, partition_id, 7]).random())
