"""The Fréchet distance between two feature sets (the FID formula, on any features)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from fedgan.metrics._feature_sets import feature_pair

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
    a, b = feature_pair(a, b)
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
