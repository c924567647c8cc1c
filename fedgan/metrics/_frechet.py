"""The Fréchet distance between two feature sets (the FID formula, on any features)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

__all__ = ["frechet_distance"]


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½)`` of two ``[N, d]`` feature sets.

    The distance between Gaussians fitted to each set (Heusel et al. 2017). It is biased
    upward for small sets, so compare sets of equal size.

    Parameters
    ----------
    a, b : np.ndarray
        ``[N, d]`` and ``[M, d]`` features, ``N, M ≥ 2``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ in ``d``, a set has fewer than 2 rows, or a value is not finite.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must be [N, d] with the same d, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"each set needs at least 2 rows, got {len(a)} and {len(b)}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("features must be finite")
    mu = a.mean(axis=0) - b.mean(axis=0)
    sa, sb = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # ReLU features have dead dimensions: singular Σ is normal
        warnings.simplefilter("ignore")
        root = linalg.sqrtm(sa @ sb)
        if not np.isfinite(root).all():  # nudge both, as the reference FID code does
            eps = 1e-6 * np.eye(len(sa))
            root = linalg.sqrtm((sa + eps) @ (sb + eps))
    value = float(mu @ mu + np.trace(sa) + np.trace(sb) - 2.0 * np.trace(np.real(root)))
    return max(value, 0.0)
