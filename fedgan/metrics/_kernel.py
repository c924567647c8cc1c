"""The kernel distance between two feature sets (KID: unbiased MMD², cubic polynomial kernel)."""

from __future__ import annotations

import numpy as np

from fedgan.metrics._feature_sets import feature_pair

__all__ = ["kernel_distance"]


def kernel_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The unbiased squared MMD of two ``[N, d]`` feature sets under ``k(x, y) = (x·y/d + 1)³``.

    The kernel Inception distance's estimator (Bińkowski et al. 2018) on any features. Unlike
    the Fréchet distance it is unbiased: two sets drawn from one distribution score 0 in
    expectation whatever their sizes, so a class with 20 real rows and one with 100 can be
    compared directly. The estimate itself is noisy for small sets and can be slightly
    negative; it is returned as computed.

    Parameters
    ----------
    a, b : np.ndarray
        Two feature sets with the same number of columns and at least 2 finite rows each
        (checked as :func:`fedgan.metrics.frechet_distance` checks them; ``ValueError``
        otherwise).

    Returns
    -------
    float
        The estimate of MMD² (may dip below 0 for sets from one distribution).
    """
    a, b = feature_pair(a, b)
    d = a.shape[1]
    k_aa, k_bb, k_ab = ((x @ y.T / d + 1.0) ** 3 for x, y in ((a, a), (b, b), (a, b)))
    m, n = len(a), len(b)
    # the diagonal (a row with itself) is what makes the plain estimate biased: leave it out
    within_a = (k_aa.sum() - np.trace(k_aa)) / (m * (m - 1))
    within_b = (k_bb.sum() - np.trace(k_bb)) / (n * (n - 1))
    return float(within_a + within_b - 2.0 * k_ab.mean())
