"""Sample-based precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PRDC", "pairwise_distances", "prdc", "precise_rows"]


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
    out = np.empty((len(a), len(b)))
    _distances_into(a, (b * b).sum(1), b, out, np.empty_like(out))
    return out


# A block of distances holds at most this many bytes. Its two buffers are allocated once
# per call and reused: fresh memory costs a page fault per 4 KiB on first touch, which on
# some virtual machines made a 2,500 × 2,500 evaluation ten times slower than its arithmetic.
_BLOCK_BYTES = 2 << 20


def _distances_into(
    a: np.ndarray, b_sq: np.ndarray, b: np.ndarray, out: np.ndarray, scratch: np.ndarray
) -> np.ndarray:
    """``out[i, j] = |a_i − b_j|`` as ``sqrt(max(|a_i|² + |b_j|² − 2 a_i·b_j, 0))``, in place."""
    np.matmul(2.0 * a, b.T, out=scratch)
    np.add((a * a).sum(1)[:, None], b_sq[None, :], out=out)
    np.subtract(out, scratch, out=out)
    np.maximum(out, 0.0, out=out)
    return np.sqrt(out, out=out)


def _blocks(
    a: np.ndarray, b: np.ndarray, rows: int | None = None
) -> Iterator[tuple[slice, np.ndarray]]:
    """``(rows of a, their distances to every row of b)``, block by block, in one buffer."""
    n, m = len(a), len(b)
    rows = rows or max(1, _BLOCK_BYTES // (8 * max(m, 1)))
    out, scratch = np.empty((min(rows, n), m)), np.empty((min(rows, n), m))
    b_sq = (b * b).sum(1)
    for start in range(0, n, rows):
        k = min(rows, n - start)
        yield (
            slice(start, start + k),
            _distances_into(a[start : start + k], b_sq, b, out[:k], scratch[:k]),
        )


def _kth_radii(x: np.ndarray, ks: tuple[int, ...], rows: int | None = None) -> list[np.ndarray]:
    """Each row's distance to its k-th nearest row of ``x``, for every k in ``ks``, in one pass."""
    radii = [np.empty(len(x)) for _ in ks]
    for rows_of, d in _blocks(x, x, rows):
        d.partition(ks, axis=1)  # in place; index 0 is the point itself
        for radius, k in zip(radii, ks):
            radius[rows_of] = d[:, k]
    return radii


def prdc(
    real: np.ndarray,
    fake: np.ndarray,
    *,
    real_groups: np.ndarray | None = None,
    k_pr: int = 3,
    k_dc: int = 5,
    block_rows: int | None = None,
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
    block_rows : int, optional
        Rows of distances computed at a time (default: blocks of about 2 MiB); the result
        does not depend on it.

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
    rad_r_pr, rad_r_dc = _kth_radii(r, (k_pr, k_dc), block_rows)
    (rad_f_pr,) = _kth_radii(f, (k_pr,), block_rows)
    # one pass over the real × fake distances, a block of real rows at a time
    fake_precise = np.zeros(len(f), dtype=bool)
    real_recalled = np.empty(len(r), dtype=bool)
    covered = np.empty(len(r), dtype=bool)
    inside = 0
    nearest_d, nearest = np.full(len(f), np.inf), np.zeros(len(f), dtype=np.int64)
    columns = np.arange(len(f))
    for rows_of, d in _blocks(r, f, block_rows):
        fake_precise |= (d <= rad_r_pr[rows_of, None]).any(axis=0)
        real_recalled[rows_of] = (d <= rad_f_pr[None, :]).any(axis=1)
        inside += int((d < rad_r_dc[rows_of, None]).sum())
        covered[rows_of] = d.min(axis=1) < rad_r_dc[rows_of]
        best = d.argmin(axis=0)
        best_d = d[best, columns]
        closer = best_d < nearest_d  # strict: the first nearest row wins, as argmin
        nearest_d[closer], nearest[closer] = best_d[closer], best[closer] + rows_of.start
    density = float(inside / (k_dc * len(f)))
    nearest_real_group = groups[nearest]
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


def precise_rows(
    real: np.ndarray, fake: np.ndarray, *, k: int = 3, block_rows: int | None = None
) -> np.ndarray:
    """Whether each fake row lies inside some real row's k-NN ball (precision, row by row).

    The mean of the result is :func:`prdc`'s precision with ``k_pr = k``.
    """
    r = np.asarray(real, dtype=np.float64)
    f = np.asarray(fake, dtype=np.float64)
    if r.ndim != 2 or f.ndim != 2 or r.shape[1] != f.shape[1]:
        raise ValueError(
            f"real and fake must be [N, d] with the same d, got {r.shape} and {f.shape}"
        )
    if k < 1 or k >= len(r):
        raise ValueError(f"k must be in [1, {len(r) - 1}], got {k}")
    (radius,) = _kth_radii(r, (k,), block_rows)
    precise = np.zeros(len(f), dtype=bool)
    for rows_of, d in _blocks(r, f, block_rows):
        precise |= (d <= radius[rows_of, None]).any(axis=0)
    return precise
