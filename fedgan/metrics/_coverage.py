"""Mode coverage for mixtures with known modes (VEEGAN / PacGAN definitions)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["HQ_SDS", "ModeCoverage", "mode_coverage", "nearest_mode"]

HQ_SDS = 3.0  # a sample within this many sds of its nearest mode is high quality


@dataclass(frozen=True)
class ModeCoverage:
    """Result of :func:`mode_coverage`.

    Attributes
    ----------
    modes_captured : int
        Modes that are the nearest mode of at least one high-quality sample (the
        literature's count, VEEGAN/PacGAN).
    modes_held : int
        Modes whose high-quality samples reach ``held_fraction`` of their expected count
        ``N · w_m``: a mode hit by a few stray samples is captured but not held.
    hq_fraction : float
        Share of samples within ``threshold`` sds of their nearest mode.
    reverse_kl : float
        KL(generated HQ mode histogram ‖ true weights), histogram smoothed by
        adding 1e-10 to every bin before normalising; ``inf`` if no sample is HQ.
    per_mode : np.ndarray
        ``[M]`` HQ sample counts per mode.
    per_group : pandas.DataFrame
        One row per group: ``modes_captured``, ``modes_held``, ``modes``, ``missing_modes``,
        ``hq_fraction`` (within the samples nearest to that group's modes; 0 when
        no sample is nearest to any of them),
        ``generated_share`` (HQ mass), ``real_share`` and ``mass_ratio``.
    """

    modes_captured: int
    modes_held: int
    hq_fraction: float
    reverse_kl: float
    per_mode: np.ndarray
    per_group: pd.DataFrame


def nearest_mode(
    samples: np.ndarray, means: np.ndarray, stds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's nearest mode, and its distance from that mode's centre in the mode's sds.

    Distances are scaled by each mode's sd before the nearest is chosen. Inputs as
    :func:`mode_coverage` takes them (checked there).
    """
    x = np.asarray(samples, dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64)
    sd = np.asarray(stds, dtype=np.float64).reshape(-1)
    dist = np.sqrt(((x[:, None, :] - mu[None, :, :]) ** 2).sum(-1)) / sd[None, :]
    nearest = dist.argmin(axis=1)
    return nearest, dist[np.arange(len(x)), nearest]


def mode_coverage(
    samples: np.ndarray,
    means: np.ndarray,
    stds: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    mode_groups: np.ndarray | None = None,
    threshold: float = HQ_SDS,
    held_fraction: float = 0.2,
) -> ModeCoverage:
    """Coverage of a known mixture by generated samples.

    Parameters
    ----------
    samples : np.ndarray
        ``[N, d]`` generated samples (2,500 is the literature's size).
    means : np.ndarray
        ``[M, d]`` mode centres.
    stds : np.ndarray
        ``[M]`` isotropic sd of each mode.
    weights : np.ndarray, optional
        ``[M]`` true mixture weights (default uniform).
    mode_groups : np.ndarray, optional
        ``[M]`` group of each mode (default: one group).
    threshold : float
        HQ radius in sds (default 3).
    held_fraction : float
        Share of its expected HQ count a mode needs to count as held.

    Returns
    -------
    ModeCoverage
    """
    for name, arr in (("samples", samples), ("means", means), ("stds", stds), ("weights", weights)):
        if isinstance(arr, str):
            raise TypeError(f"{name} must be an array of numbers, got the text {arr!r}")
    x = np.asarray(samples, dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64)
    sd = np.asarray(stds, dtype=np.float64).reshape(-1)
    for name, arr in (("means", mu), ("stds", sd)):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or inf")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"samples must be a non-empty [N, d] array, got shape {x.shape}")
    if mu.ndim != 2 or mu.shape[0] == 0 or mu.shape[1] != x.shape[1]:
        raise ValueError(f"means must be [M, {x.shape[1]}] with M >= 1, got shape {mu.shape}")
    m = mu.shape[0]
    if sd.shape != (m,) or (sd <= 0).any():
        raise ValueError(f"stds must be {m} positive values, got shape {sd.shape}")
    w = np.full(m, 1.0 / m) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (m,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be {m} finite non-negative values with a positive sum")
    w = w / w.sum()
    groups = (
        np.zeros(m, dtype=np.int64)
        if mode_groups is None
        else np.asarray(mode_groups, dtype=np.int64)
    )
    if groups.shape != (m,) or (groups < 0).any():
        raise ValueError(f"mode_groups must be {m} non-negative group ids")
    if not 0 < threshold < np.inf:
        raise ValueError(f"threshold must be a finite number > 0, got {threshold}")
    if not 0 <= held_fraction <= 1:
        raise ValueError(f"held_fraction must be in [0, 1], got {held_fraction}")
    if not np.isfinite(x).all():
        raise ValueError("samples contain NaN or inf")

    nearest, near_sd = nearest_mode(x, mu, sd)
    hq = near_sd <= threshold
    per_mode = np.bincount(nearest[hq], minlength=m)
    held = per_mode >= np.maximum(held_fraction * len(x) * w, 1.0)
    if hq.any():
        q = per_mode + 1e-10
        q = q / q.sum()
        rkl = float((q * np.log(q / np.maximum(w, 1e-300))).sum())
    else:
        rkl = float("inf")
    n_hq = max(int(hq.sum()), 1)
    rows = []
    for g in range(int(groups.max()) + 1):
        in_g = groups == g
        near_g = in_g[nearest]
        gen_share = per_mode[in_g].sum() / n_hq if hq.any() else 0.0
        real_share = float(w[in_g].sum())
        rows.append(
            {
                "group": g,
                "modes_captured": int((per_mode[in_g] > 0).sum()),
                "modes_held": int(held[in_g].sum()),
                "modes": int(in_g.sum()),
                "missing_modes": [int(k) for k in np.flatnonzero(in_g & (per_mode == 0))],
                "hq_fraction": float(hq[near_g].mean()) if near_g.any() else 0.0,
                "generated_share": float(gen_share),
                "real_share": real_share,
                "mass_ratio": float(gen_share / real_share) if real_share > 0 else float("nan"),
            }
        )
    return ModeCoverage(
        modes_captured=int((per_mode > 0).sum()),
        modes_held=int(held.sum()),
        hq_fraction=float(hq.mean()),
        reverse_kl=rkl,
        per_mode=per_mode,
        per_group=pd.DataFrame(rows).set_index("group"),
    )
