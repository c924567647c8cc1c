"""One-dimensional Wasserstein-1 distance by the CDF formula."""

from __future__ import annotations

import numpy as np

__all__ = ["wasserstein_1d"]


def _prep(name: str, x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(x, dtype=np.float64).reshape(-1)
    if v.size == 0 or not np.isfinite(v).all():
        raise ValueError(f"{name} must be a non-empty array of finite numbers")
    if w is None:
        return v, np.full(v.size, 1.0 / v.size)
    ww = np.asarray(w, dtype=np.float64).reshape(-1)
    if ww.shape != v.shape or (ww < 0).any() or not np.isfinite(ww).all() or ww.sum() <= 0:
        raise ValueError(
            f"{name}_weights must be {v.size} non-negative finite weights with a positive sum"
        )
    return v, ww / ww.sum()


def wasserstein_1d(
    u: np.ndarray,
    v: np.ndarray,
    u_weights: np.ndarray | None = None,
    v_weights: np.ndarray | None = None,
) -> float | np.ndarray:
    """W1 between two 1-D empirical distributions: ``∫ |F_u(t) − F_v(t)| dt``.

    Parameters
    ----------
    u, v : np.ndarray
        Samples. 2-D ``[N, d]`` inputs give one distance per column (feature);
        weights then apply to every column.
    u_weights, v_weights : np.ndarray, optional
        Non-negative weights per sample (normalised).

    Returns
    -------
    float or np.ndarray
        The distance, or ``[d]`` distances for 2-D input.

    Examples
    --------
    >>> wasserstein_1d([0, 2], [1, 3])
    1.0
    >>> wasserstein_1d([0], [3])
    3.0
    """
    a, b = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if a.ndim == 2 or b.ndim == 2:
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
            raise ValueError(
                f"u and v must both be [N, d] with the same d, got {a.shape} and {b.shape}"
            )
        return np.array(
            [wasserstein_1d(a[:, j], b[:, j], u_weights, v_weights) for j in range(a.shape[1])]
        )
    a, wa = _prep("u", a, u_weights)
    b, wb = _prep("v", b, v_weights)
    ia, ib = np.argsort(a), np.argsort(b)
    a, wa, b, wb = a[ia], wa[ia], b[ib], wb[ib]
    grid = np.concatenate([a, b])
    grid.sort(kind="mergesort")
    deltas = np.diff(grid)
    cdf_a = np.cumsum(wa)[np.searchsorted(a, grid[:-1], side="right") - 1].clip(0)
    cdf_a = np.where(np.searchsorted(a, grid[:-1], side="right") == 0, 0.0, cdf_a)
    cdf_b = np.cumsum(wb)[np.searchsorted(b, grid[:-1], side="right") - 1].clip(0)
    cdf_b = np.where(np.searchsorted(b, grid[:-1], side="right") == 0, 0.0, cdf_b)
    return float(np.sum(np.abs(cdf_a - cdf_b) * deltas))
