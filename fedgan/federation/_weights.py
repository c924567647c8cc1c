"""Client aggregation weights from per-client group counts (pure NumPy, no Flower)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from fedgan._checks import check_not_string
from fedgan.choices import AGGREGATIONS, Aggregation, allowed

__all__ = ["client_weights", "group_shares", "weight_rows"]


def client_weights(
    counts: np.ndarray | Sequence[Sequence[float]],
    *,
    scheme: Aggregation,
    beta: float = 1.0,
    target_share: Sequence[float] | None = None,
) -> np.ndarray:
    """Aggregation weight of each client; non-negative, summing to 1.

    Parameters
    ----------
    counts : array-like
        ``[K, G]`` rows of group ``g`` held by client ``k`` (``n_kg``).
    scheme : {"size", "uniform", "group-balanced", "group-dro", "kl"}
        ``size``: ``w_k = n_k / N`` (FedAvg). ``uniform``: ``1/K``.
        ``group-balanced``: the clients holding group g together get ``π_g``,
        ``w_k = Σ_g π_g n_kg / N_g``, mixed with size weighting as
        ``(1 − β)·size + β·group-balanced``. ``group-dro``: the same formula at shares
        ``π`` the server moves every round (:class:`GroupDroShares`; here ``target_share``
        is that round's ``π``). ``kl``: FeGAN's
        ``w_k ∝ exp(KL(p_k ‖ p) · n_k / N)``.
    beta : float
        In [0, 1]; only for ``group-balanced`` (0 is size weighting).
    target_share : sequence of float, optional
        ``π_g`` (normalised); default uniform over the groups present.

    Returns
    -------
    np.ndarray
        ``[K]`` float64 weights.

    Examples
    --------
    >>> client_weights([[90, 0], [0, 10]], scheme="group-balanced")
    array([0.5, 0.5])
    """
    check_not_string("counts", counts)
    n = np.asarray(counts, dtype=np.float64)
    if n.ndim != 2 or n.shape[0] == 0 or n.shape[1] == 0:
        raise ValueError(
            f"counts must be a non-empty [clients, groups] matrix, got shape {n.shape}"
        )
    if not np.isfinite(n).all() or (n < 0).any():
        raise ValueError("counts must be finite and non-negative")
    if n.sum() <= 0:
        raise ValueError("counts must have a positive total")
    if scheme not in AGGREGATIONS:
        raise ValueError(allowed("scheme", scheme, AGGREGATIONS))
    if not 0 <= beta <= 1:
        raise ValueError(f"beta must be in [0, 1], got {beta!r}")
    return _SCHEMES[scheme](n, beta, target_share)


def _size(n: np.ndarray, beta: float, pi: Sequence[float] | None) -> np.ndarray:
    sizes = n.sum(axis=1)
    return sizes / sizes.sum()


def _uniform(n: np.ndarray, beta: float, pi: Sequence[float] | None) -> np.ndarray:
    return np.full(n.shape[0], 1.0 / n.shape[0])


def _kl(n: np.ndarray, beta: float, pi: Sequence[float] | None) -> np.ndarray:
    sizes = n.sum(axis=1)
    p_k = n / np.maximum(sizes[:, None], 1e-300)
    p = n.sum(axis=0) / n.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p_k > 0, p_k * np.log(p_k / p), 0.0)
    share = sizes / sizes.sum()
    # A share that underflows to 0 contributes 0 (its KL may be inf from an underflowed p);
    # so does a denormal one whose KL came out infinite for the same reason.
    with np.errstate(invalid="ignore"):
        score = np.where(share > 0, terms.sum(axis=1) * share, 0.0)
    score = np.where(np.isfinite(score), score, 0.0)
    e = np.exp(score - score.max())
    return e / e.sum()


def _group_balanced(n: np.ndarray, beta: float, target_share: Sequence[float] | None) -> np.ndarray:
    totals = n.sum(axis=0)
    present = totals > 0
    pi = group_shares(target_share, present)
    balanced = (n / np.where(present, totals, 1.0)) @ pi
    w = (1 - beta) * _size(n, beta, None) + beta * balanced
    return w / w.sum()


def group_shares(target_share: Sequence[float] | None, present: np.ndarray) -> np.ndarray:
    """``π`` over groups: ``target_share`` normalised over the groups ``present``, else uniform."""
    if target_share is None:
        return present / present.sum()
    check_not_string("target_share", target_share)
    pi = np.asarray(target_share, dtype=np.float64)
    if pi.shape != present.shape or (pi < 0).any() or not np.isfinite(pi).all():
        raise ValueError(
            f"target_share must have {present.shape[0]} finite non-negative values, got {list(target_share)}"
        )
    pi = np.where(present, pi, 0.0)
    if pi.sum() <= 0:
        raise ValueError("target_share gives zero weight to every group that has rows")
    return pi / pi.sum()


_SCHEMES: dict[str, Callable[[np.ndarray, float, Sequence[float] | None], np.ndarray]] = {
    "size": _size,
    "uniform": _uniform,
    "kl": _kl,
    "group-balanced": _group_balanced,
    "group-dro": _group_balanced,
}


def weight_rows(
    server_round: int,
    pids: Sequence[int],
    w: np.ndarray,
    counts: np.ndarray,
    *,
    shares: np.ndarray | None = None,
) -> list[dict[str, float | int]]:
    """The weight log's rows of a round: one per accepted client, its weight and counts.

    ``shares`` (``aggregation = "group-dro"``): the round's ``π``, as ``group_<g>_share``.
    """
    extra = {} if shares is None else {f"group_{j}_share": float(v) for j, v in enumerate(shares)}
    return [
        {
            "round": server_round,
            "partition_id": pid,
            "weight": float(wk),
            "num_examples": float(row.sum()),
        }
        | {f"group_{j}_count": float(c) for j, c in enumerate(row)}
        | extra
        for pid, wk, row in zip(pids, w, counts)
    ]
