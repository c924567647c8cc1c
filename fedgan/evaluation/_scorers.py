"""Scoring generated rows, one scorer per kind of scenario (chosen once per run).

Every scorer returns a per-group table (index = group id) and overall numbers; a
metric that cannot be computed is NaN with the reason in ``notes``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fedgan.data import Scenario
from fedgan.metrics import mode_coverage, prdc

__all__ = ["Score", "chance_hq", "coverage_anchors", "reference_rows", "score_samples"]

REFERENCE_ROWS = 1500  # real rows the sample-based metrics compare against


@dataclass
class Score:
    """Per-group table, overall numbers and reasons for what could not be computed."""

    per_group: pd.DataFrame
    overall: dict[str, float]
    notes: dict[str, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=8)
def chance_hq(scenario: Scenario, samples: int = 20_000) -> float:
    """HQ share of a structureless sample: a Gaussian with the data's mean and covariance.

    A generator that learnt only the data's first two moments scores this; "learned"
    must be well above it.
    """
    if scenario.mode_means is None or scenario.mode_stds is None:
        return float("nan")
    x = scenario.x.astype(np.float64)
    rng = np.random.default_rng(0)
    cloud = rng.multivariate_normal(x.mean(0), np.cov(x.T), size=samples)
    return mode_coverage(cloud, scenario.mode_means, scenario.mode_stds).hq_fraction


@functools.lru_cache(maxsize=8)
def coverage_anchors(scenario: Scenario, samples: int, seed: int) -> tuple[float, float]:
    """Coverage a structureless sample (moment-matched Gaussian) and held-out real rows score.

    Both have ``samples`` rows (real: as many as are left outside the reference).
    """
    ref = reference_rows(scenario, seed)
    real = scenario.x[ref].reshape(len(ref), -1).astype(np.float64)
    x = scenario.x.reshape(len(scenario.x), -1).astype(np.float64)
    rng = np.random.default_rng(seed + 1)
    cloud = rng.multivariate_normal(x.mean(0), np.cov(x.T), size=samples)
    rest = np.setdiff1d(np.arange(len(x)), ref)
    held_out = x[rng.permutation(rest)[:samples]]
    chance = prdc(real, cloud).coverage
    real_cov = prdc(real, held_out).coverage if len(held_out) > 5 else float("nan")
    return chance, real_cov


def reference_rows(scenario: Scenario, seed: int) -> np.ndarray:
    """Real rows the samples are compared with.

    At most 1,500, and at most half of a small dataset, so that held-out rows remain to say
    what real data scores.
    """
    n = len(scenario.x)
    return np.random.default_rng(seed).permutation(n)[: min(REFERENCE_ROWS, max(n // 2, 6))]


def _prdc_part(scenario: Scenario, x: np.ndarray, seed: int) -> Score:
    ref = reference_rows(scenario, seed)
    pr = prdc(scenario.x[ref].reshape(len(ref), -1), x, real_groups=scenario.group[ref])
    table = pr.per_group[["precision", "recall", "coverage", "fake_count"]].copy()
    notes = {}
    for g in table.index[table["fake_count"] == 0]:
        notes[f"group/{g}/recall"] = "no generated row lies nearest to this group's rows"
    for g in table.index[table["coverage"].isna()]:
        notes[f"group/{g}/coverage"] = (
            f"only {int(pr.per_group.loc[g, 'count'])} of this group's rows are among the "
            f"{len(ref)} reference rows: their 5-NN balls reach other groups"
        )
    overall = {
        "precision": pr.precision,
        "recall": pr.recall,
        "density": pr.density,
        "coverage": pr.coverage,
    }
    if scenario.kind != "mixture":  # mixtures are judged by their high-quality share instead
        chance, real = coverage_anchors(scenario, len(x), seed)
        overall |= {"chance_coverage": chance, "real_coverage": real}
    return Score(table, overall, notes)


def _mixture(scenario: Scenario, x: np.ndarray, seed: int) -> Score:
    assert scenario.mode_means is not None and scenario.mode_stds is not None
    cov = mode_coverage(
        x,
        scenario.mode_means,
        scenario.mode_stds,
        weights=scenario.mode_weights,
        mode_groups=scenario.mode_groups,
    )
    table = cov.per_group.copy()
    table["missing_modes"] = table["missing_modes"].map(lambda m: " ".join(map(str, m)))
    base = _prdc_part(scenario, x, seed)
    overall = {
        "modes_captured": float(cov.modes_captured),
        "modes_held": float(cov.modes_held),
        "modes": float(scenario.num_modes),
        "hq": cov.hq_fraction,
        "chance_hq": chance_hq(scenario),
        "reverse_kl": cov.reverse_kl,
    }
    notes = dict(base.notes)
    if not np.isfinite(cov.reverse_kl):
        notes["reverse_kl"] = "no generated sample is high quality"
    return Score(table.join(base.per_group), overall | base.overall, notes)


def _image(scenario: Scenario, x: np.ndarray, seed: int) -> Score:
    from fedgan.evaluation._images import score_images

    table, overall, notes = score_images(scenario, x, seed)
    return Score(table, overall, notes)


def _tabular(scenario: Scenario, x: np.ndarray, seed: int) -> Score:
    from fedgan.evaluation._tables import score_table

    # score what a user gets: the records as released (integers rounded, clipped to the
    # observed range, one category per column), encoded again
    x = scenario.encoder.encode(scenario.encoder.decode(x)).astype(np.float64)
    base = _prdc_part(scenario, x, seed)
    table, overall, notes = score_table(scenario, x)
    return Score(table.join(base.per_group), base.overall | overall, base.notes | notes)


_SCORERS = {"mixture": _mixture, "image": _image, "tabular": _tabular}


def score_samples(scenario: Scenario, x: np.ndarray, *, seed: int) -> Score:
    """Score ``[N, d]`` generated rows (data space) against ``scenario``."""
    return _SCORERS[scenario.kind](scenario, x, seed)
