"""Sample-based precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PRDC", "pairwise_distances", "prdc"]


@dataclass(frozen=True)
class PRDC:
    """Result of :func:`prdc`.

    Attributes
    ----------
    precision, recall, density, coverage : float
        Overall values.
    real_covered : np.ndarray
        ``[N_real]`` bool: the real sample's k-NN ball (coverage's k) holds a fake sample.
    per_group : pandas.DataFrame
        Per real group: ``recall`` and ``coverage`` (over that group's real rows;
        coverage is NaN for a group of at most ``k_dc`` real rows, whose balls reach
        into other groups),
        ``precision`` (fake rows whose nearest real row is in the group), ``count`` (real
        rows) and ``fake_count`` (fake rows nearest to the group). Recall and precision
        are NaN for a group no fake row is nearest to.
    """

    precision: float
    recall: float
    density: float
    coverage: float
    real_covered: np.ndarray
    per_group: pd.DataFrame


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances ``[N, M]`` between the rows of ``a`` and ``b`` (no ``[N, M, d]`` array)."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(d, 0.0))


def _kth_radius(x: np.ndarray, k: int) -> np.ndarray:
    d = pairwise_distances(x, x)
    return np.partition(d, k, axis=1)[:, k]  # index 0 is the point itself


def prdc(
    real: np.ndarray,
    fake: np.ndarray,
    *,
    real_groups: np.ndarray | None = None,
    k_pr: int = 3,
    k_dc: int = 5,
) -> PRDC:
    """Precision/recall with k = 3 balls and density/coverage with k = 5 balls.

    A fake sample is precise if it falls inside some real sample's k-NN ball
    (``≤`` radius); recall swaps the roles. Density counts, per fake sample, the
    real balls that contain it, divided by ``k·N_fake``. Coverage is the share of
    real samples whose ball holds a fake sample (strict ``<``, as in ``prdc``).

    Parameters
    ----------
    real, fake : np.ndarray
        ``[N, d]`` and ``[M, d]`` features.
    real_groups : np.ndarray, optional
        ``[N]`` group id of each real row, for the per-group table.
    k_pr, k_dc : int
        Neighbourhood sizes.

    Returns
    -------
    PRDC
    """
    r = np.asarray(real, dtype=np.float64)
    f = np.asarray(fake, dtype=np.float64)
    if r.ndim != 2 or f.ndim != 2 or r.shape[1] != f.shape[1]:
        raise ValueError(
            f"real and fake must be [N, d] with the same d, got {r.shape} and {f.shape}"
        )
    for name, k in (("k_pr", k_pr), ("k_dc", k_dc)):
        if k < 1 or k >= min(len(r), len(f)):
            raise ValueError(f"{name} must be in [1, {min(len(r), len(f)) - 1}], got {k}")
    groups = (
        np.zeros(len(r), dtype=np.int64)
        if real_groups is None
        else np.asarray(real_groups, dtype=np.int64)
    )
    if groups.shape != (len(r),):
        raise ValueError(f"real_groups must have shape ({len(r)},), got {groups.shape}")
    d_rf = pairwise_distances(r, f)  # [N, M]
    rad_r_pr, rad_f_pr = _kth_radius(r, k_pr), _kth_radius(f, k_pr)
    rad_r_dc = _kth_radius(r, k_dc) if k_dc != k_pr else rad_r_pr
    fake_precise = np.asarray((d_rf <= rad_r_pr[:, None]).any(axis=0))
    real_recalled = np.asarray((d_rf <= rad_f_pr[None, :]).any(axis=1))
    density = float((d_rf < rad_r_dc[:, None]).sum() / (k_dc * len(f)))
    covered = np.asarray(d_rf.min(axis=1) < rad_r_dc)
    nearest_real_group = groups[d_rf.argmin(axis=0)]
    rows = []
    for g in np.unique(groups):
        mine = groups == g
        fk = nearest_real_group == g
        # With no generated row nearest to a group, its recall (judged with generated
        # rows' radii) and precision say nothing: NaN, not a flattering number.
        rows.append(
            {
                "group": int(g),
                "count": int(mine.sum()),
                "fake_count": int(fk.sum()),
                "recall": float(real_recalled[mine].mean()) if fk.any() else float("nan"),
                # A group with at most k rows has k-NN balls that must reach other groups'
                # rows, so any nearby generated row "covers" it: NaN, not a flattering 100%.
                "coverage": float(covered[mine].mean()) if mine.sum() > k_dc else float("nan"),
                "precision": float(fake_precise[fk].mean()) if fk.any() else float("nan"),
                "fake_share": float(fk.mean()),
                "real_share": float(mine.mean()),
            }
        )
    return PRDC(
        precision=float(fake_precise.mean()),
        recall=float(real_recalled.mean()),
        density=density,
        coverage=float(covered.mean()),
        real_covered=covered,
        per_group=pd.DataFrame(rows).set_index("group"),
    )
