"""Bootstrap confidence intervals for the per-group numbers of a run's final samples."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedgan.data import Scenario
from fedgan.evaluation import reference_rows
from fedgan.metrics import disaggregate, prdc

__all__ = ["coverage_ci", "mixture_ci"]


def _interval(values: np.ndarray, point: float) -> tuple[float, float, float]:
    lo, hi = (
        np.nanpercentile(values, [2.5, 97.5]) if np.isfinite(values).any() else (np.nan, np.nan)
    )
    return point, float(lo), float(hi)


def mixture_ci(
    scenario: Scenario, samples: np.ndarray, *, n_boot: int = 500, seed: int = 0
) -> pd.DataFrame:
    """Per-group mass ratio, modes held and HQ share with 95% bootstrap CIs, plus their gaps.

    Samples are resampled with replacement; each resample is scored with the same rules as
    the run (HQ within 3 sd; a mode held with 20% of its expected HQ count). ``difference``
    rows are last group minus group 0, ``ratio`` rows smaller over larger.
    """
    assert scenario.mode_means is not None and scenario.mode_stds is not None
    x = np.asarray(samples, dtype=np.float64)
    dist = (
        np.sqrt(((x[:, None, :] - scenario.mode_means[None]) ** 2).sum(-1))
        / scenario.mode_stds[None]
    )
    nearest = dist.argmin(1)
    hq = dist[np.arange(len(x)), nearest] <= 3
    g_of = scenario.mode_groups[nearest]
    real = scenario.group_weights
    expected = 0.2 * len(x) * scenario.mode_weights

    def stats(idx: np.ndarray) -> np.ndarray:
        h, m, g = hq[idx], nearest[idx], g_of[idx]
        per_mode = np.bincount(m[h], minlength=scenario.num_modes)
        n_hq = max(int(h.sum()), 1)
        out = []
        for grp in range(scenario.num_groups):
            share = per_mode[scenario.mode_groups == grp].sum() / n_hq
            mine = scenario.mode_groups == grp
            held = (per_mode >= np.maximum(expected, 1))[mine].mean()
            near = g == grp
            out += [share / real[grp], held, h[near].mean() if near.any() else np.nan]
        return np.array(out, dtype=np.float64)

    rng = np.random.default_rng(seed)
    point = stats(np.arange(len(x)))
    boots = np.stack([stats(rng.integers(0, len(x), len(x))) for _ in range(n_boot)])
    rows = []
    names = ("mass_ratio", "share_of_modes_held", "hq_fraction")
    k = len(names)
    for grp in range(scenario.num_groups):
        for j, name in enumerate(names):
            v, lo, hi = _interval(boots[:, grp * k + j], point[grp * k + j])
            rows.append(
                {
                    "metric": name,
                    "group": scenario.group_name(grp),
                    "value": v,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    if scenario.num_groups > 1:  # fairlearn's between-groups summaries: max − min, min / max
        for j, name in enumerate(names):
            cols = [grp * k + j for grp in range(scenario.num_groups)]
            b, p = boots[:, cols], point[cols]
            with np.errstate(divide="ignore", invalid="ignore"):
                gaps = (b.max(1) - b.min(1), b.min(1) / b.max(1))
                points = (p.max() - p.min(), p.min() / p.max() if p.max() > 0 else np.nan)
            for label, vals, pt in zip(("difference", "ratio"), gaps, points):
                v, lo, hi = _interval(vals, pt)
                rows.append(
                    {"metric": name, "group": label, "value": v, "ci_low": lo, "ci_high": hi}
                )
    return pd.DataFrame(rows)


def coverage_ci(
    scenario: Scenario, samples: np.ndarray, *, seed: int, n_boot: int = 200
) -> pd.DataFrame:
    """Share of each group's real rows covered by a generated row (fairlearn MetricFrame, CIs)."""
    ref = reference_rows(scenario, seed)
    real = scenario.x[ref].reshape(len(ref), -1)
    pr = prdc(real, np.asarray(samples, dtype=np.float64), real_groups=scenario.group[ref])
    names = np.array([scenario.group_name(int(g)) for g in scenario.group[ref]])
    return disaggregate({"coverage": pr.real_covered.astype(float)}, names, n_boot=n_boot)
