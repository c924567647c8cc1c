"""Client aggregation weights from per-client group counts (pure NumPy, no Flower)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np

__all__ = ["WeightScheme", "client_weights"]

WeightScheme = Literal["size", "uniform", "group-balanced", "kl"]
_SCHEMES: tuple[str, ...] = get_args(WeightScheme)


def client_weights(
    counts: np.ndarray | Sequence[Sequence[float]],
    *,
    scheme: WeightScheme,
    beta: float = 1.0,
    target_share: Sequence[float] | None = None,
) -> np.ndarray:
    """Aggregation weight of each client; non-negative, summing to 1.

    Parameters
    ----------
    counts : array-like
        ``[K, G]`` rows of group ``g`` held by client ``k`` (``n_kg``).
    scheme : {"size", "uniform", "group-balanced", "kl"}
        ``size``: ``w_k = n_k / N`` (FedAvg). ``uniform``: ``1/K``.
        ``group-balanced``: the clients holding group g together get ``π_g``,
        ``w_k = Σ_g π_g n_kg / N_g``, mixed with size weighting as
        ``(1 − β)·size + β·group-balanced``. ``kl``: FeGAN's
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
    n = np.asarray(counts, dtype=np.float64)
    if n.ndim != 2 or n.shape[0] == 0 or n.shape[1] == 0:
        raise ValueError(
            f"counts must be a non-empty [clients, groups] matrix, got shape {n.shape}"
        )
    if not np.isfinite(n).all() or (n < 0).any():
        raise ValueError("counts must be finite and non-negative")
    if n.sum() <= 0:
        raise ValueError("counts must have a positive total")
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme must be one of {list(_SCHEMES)}, got {scheme!r}")
    if not 0 <= beta <= 1:
        raise ValueError(f"beta must be in [0, 1], got {beta!r}")
    sizes = n.sum(axis=1)
    size_w = sizes / sizes.sum()
    if scheme == "size":
        return size_w
    if scheme == "uniform":
        return np.full(n.shape[0], 1.0 / n.shape[0])
    if scheme == "kl":
        p_k = n / np.maximum(sizes[:, None], 1e-300)
        p = n.sum(axis=0) / n.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p_k > 0, p_k * np.log(p_k / p), 0.0)
        score = terms.sum(axis=1) * size_w
        e = np.exp(score - score.max())
        return e / e.sum()
    totals = n.sum(axis=0)
    present = totals > 0
    if target_share is None:
        pi = present / present.sum()
    else:
        pi = np.asarray(target_share, dtype=np.float64)
        if pi.shape != (n.shape[1],) or (pi < 0).any() or not np.isfinite(pi).all():
            raise ValueError(
                f"target_share must have {n.shape[1]} non-negative values, got {list(target_share)}"
            )
        pi = np.where(present, pi, 0.0)
        if pi.sum() <= 0:
            raise ValueError("target_share gives zero weight to every group that has rows")
        pi = pi / pi.sum()
    balanced = (n / np.where(present, totals, 1.0)) @ pi
    w = (1 - beta) * size_w + beta * balanced
    return w / w.sum()
