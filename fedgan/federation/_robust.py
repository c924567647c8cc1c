"""Robust merging: updates far outside the round's spread are refused; robust averages.

Two sizes of a reply are compared with the round's other replies: how far it moves the
shared arrays from the global ones every client started from, and how large its own source
slices are. A reply more than ``limit`` times the median of the *other* replies on either
is refused (leave-one-out, so two replies can still outvote a scaled one). The previous
accepted round's sizes join the others, so a round whose replies are mostly corrupted, or
hold one reply, is still measured against sound ones. ``trimmed-mean`` and
``median`` average the shared arrays coordinate by coordinate, unweighted, as Flower's
``FedTrimmedAvg`` and ``FedMedian`` do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from fedgan.choices import AGGREGATION_RULES, AggregationRule
from fedgan.protocol import OWNED

__all__ = [
    "AGGREGATION_RULES",
    "HISTORY_ROUNDS",
    "AggregationRule",
    "combine",
    "outlier_reasons",
    "outlying_updates",
    "update_norms",
]

TRIM = 0.2  # share cut from each end by trimmed-mean
HISTORY_ROUNDS = 10  # merged rounds whose accepted replies the outlier rule measures against


def update_norms(
    arrays: Mapping[str, np.ndarray], current: Mapping[str, np.ndarray]
) -> tuple[float, float]:
    """How far a reply moves the shared arrays, and how large its own slices are.

    Shared arrays are compared with ``current``, the global ones every client started from.
    Own slices (and a private critic, which the server has no copy of) are measured by their
    size, not against the server's copy: that copy is stale for a client sampled for the
    first time or whose last reply was refused.
    """
    shared = owned = 0.0
    for key, value in arrays.items():
        arr = np.asarray(value, dtype=np.float64)
        if key.startswith(OWNED) or key not in current:
            owned += float(np.sum(arr**2))
        else:
            shared += float(np.sum((arr - current[key]) ** 2))
    return float(np.sqrt(shared)), float(np.sqrt(owned))


def outlying_updates(
    norms: Sequence[float], limit: float, *, history: Sequence[float] = ()
) -> list[int]:
    """Indices whose norm exceeds ``limit`` × the median of the others and ``history``.

    ``limit`` 0 turns the check off; with no other reply and no history nothing is refused.
    """
    if limit <= 0:
        return []
    arr = np.asarray(norms, dtype=np.float64)
    past = np.asarray(history, dtype=np.float64)
    out = []
    for i, n in enumerate(arr):
        others = np.concatenate([np.delete(arr, i), past])
        if others.size and n > limit * max(float(np.median(others)), 1e-12):
            out.append(i)
    return out


def outlier_reasons(norms: np.ndarray, history: np.ndarray, limit: float) -> dict[int, str]:
    """Row of ``norms`` → why it is refused; columns: update norm, size of own slices.

    Each column is judged by :func:`outlying_updates` against the round's other rows and
    ``history`` (the rows accepted in the last :data:`HISTORY_ROUNDS` rounds that merged).
    """
    reasons: dict[int, str] = {}
    for col, what in ((1, "size of its own slices"), (0, "update norm")):
        for i in outlying_updates(norms[:, col].tolist(), limit, history=history[:, col].tolist()):
            reasons[i] = (
                f"{what} {norms[i, col]:.3g} is over {limit:g}× the median of the others "
                f"(this round's and those of the last {HISTORY_ROUNDS} rounds that merged)"
            )
    return reasons


def combine(values: list[torch.Tensor], weights: np.ndarray, rule: AggregationRule) -> torch.Tensor:
    """One array of the round, merged: weighted mean, or an unweighted robust average."""
    stack = torch.stack([v.double() for v in values])
    if rule == "median":
        return stack.median(dim=0).values if len(values) % 2 else stack.quantile(0.5, dim=0)
    if rule == "trimmed-mean":
        k = int(TRIM * len(values))
        ordered = stack.sort(dim=0).values
        return ordered[k : len(values) - k].mean(dim=0)
    total = torch.zeros_like(stack[0])
    for wk, v in zip(weights, stack):  # float64, in partition order: the same bits every run
        total += float(wk) * v
    return total
