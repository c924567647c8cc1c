"""The checks every distance between two feature sets starts with."""

from __future__ import annotations

import numpy as np

__all__ = ["feature_pair"]


def feature_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` as float64 ``[N, d]`` and ``[M, d]`` arrays, checked.

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
    return a, b
