"""Scoring generated records the way the field scores synthetic tables.

* SDMetrics' quality report (column shapes, column-pair trends), overall and per group,
  against the training records;
* train-on-synthetic-test-on-real (TSTR) on the held-out records, beside train-on-real
  (TRTR, the reference) and the majority-class baseline (AUC and balanced accuracy 0.5),
  by group through fairlearn's ``MetricFrame``;
* distance to the closest training record, generated against held-out rows;
* each group's generated share of the records (its group column).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fedgan.data import Scenario
from fedgan.metrics import distance_to_closest_record, table_quality, tstr_fairness

__all__ = ["group_block", "scenario_tstr", "score_table", "train_on_real"]

_TSTR_KEYS = ("accuracy", "balanced_accuracy", "auc")


def group_block(scenario: Scenario) -> np.ndarray:
    """Columns of the one-hot block that encodes the group attribute, in group order."""
    enc = scenario.encoder
    j = len(enc.numeric)
    for _, values in enc.categories:
        if tuple(sorted(scenario.group_names)) == tuple(values):
            return np.array([j + values.index(name) for name in scenario.group_names])
        j += len(values)
    raise ValueError(f"no one-hot block encodes the groups {scenario.group_names}")


@functools.lru_cache(maxsize=8)
def _real_records(scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    test = None if scenario.holdout_x is None else scenario.encoder.decode(scenario.holdout_x)
    return scenario.encoder.decode(scenario.x), test


@functools.lru_cache(maxsize=8)
def train_on_real(scenario: Scenario) -> pd.DataFrame | None:
    """The train-on-real reference: the same classifier fitted on the training records."""
    train, test = _real_records(scenario)
    if scenario.tstr is None or test is None:
        return None
    return _tstr(scenario, train, test)


def scenario_tstr(scenario: Scenario, train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Train on ``train``, test on ``test``, with the scenario's TSTR target and groups.

    The frame of :func:`fedgan.metrics.tstr_fairness` (one row per group and ``overall``);
    a ``ValueError`` when the scenario has no TSTR target or the data cannot be scored.
    """
    if scenario.tstr is None:
        raise ValueError(f"scenario {scenario.name!r} names no TSTR target")
    return tstr_fairness(
        train,
        test,
        target=scenario.tstr[0],
        positive=scenario.tstr[1],
        sensitive=(scenario.group_attribute,),
    )


def _tstr(scenario: Scenario, train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    return scenario_tstr(scenario, train, test).set_index("group")


def _group_shares(scenario: Scenario, x: np.ndarray) -> pd.DataFrame:
    counts = np.bincount(
        np.argmax(x[:, group_block(scenario)], axis=1), minlength=scenario.num_groups
    )
    table = pd.DataFrame(
        {"generated_share": counts / len(x), "real_share": scenario.group_weights},
        index=pd.Index(np.arange(scenario.num_groups), name="group"),
    )
    table["mass_ratio"] = table["generated_share"] / table["real_share"]
    return table


@dataclass
class _Scores:
    """What scoring one sample of records fills in: the group table, overall numbers, notes."""

    scenario: Scenario
    synthetic: pd.DataFrame
    table: pd.DataFrame
    overall: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def per_group(self, frame: pd.DataFrame, key: str) -> list[float]:
        """``frame``'s ``key`` for each group of the table, ``frame`` indexed by group name."""
        names = self.scenario.group_names
        return [float(frame.loc[names[g], key]) for g in self.table.index]

    def quality(self, train: pd.DataFrame) -> None:
        """SDMetrics' quality report, overall and per group."""
        enc = self.scenario.encoder
        try:
            q = table_quality(
                train,
                self.synthetic,
                numeric=enc.numeric,
                categorical=[c for c, _ in enc.categories],
                by=self.scenario.group_attribute,
            ).set_index("group")
        except ImportError as err:
            self.notes["quality"] = f"SDMetrics quality not computed: {err}"
            return
        for key in ("score", "column_shapes", "column_pair_trends"):
            name = f"quality_{key}" if key != "score" else "quality"
            self.overall[name] = float(q.loc["overall", key])
        self.table["quality"] = self.per_group(q, "score")
        self.table["quality_pair_trends"] = self.per_group(q, "column_pair_trends")

    def tstr(self, test: pd.DataFrame) -> None:
        """Train on the generated records, test on ``test``, beside train on real."""
        scenario = self.scenario
        ref = train_on_real(scenario)
        assert ref is not None and scenario.tstr is not None
        # the majority-class baseline: its accuracy is the test set's majority share
        y = test[scenario.tstr[0]].astype(str) == scenario.tstr[1]
        self.overall["majority_accuracy"] = float(max(y.mean(), 1 - y.mean()))
        try:
            fair = _tstr(scenario, self.synthetic, test)
        except ValueError as err:  # e.g. the synthetic rows hold a single class
            self.notes["tstr"] = f"train-on-synthetic, test-on-real not computed: {err}"
            fair = None
        for key in (*_TSTR_KEYS, "dp_difference", "eo_difference"):
            self.overall[f"trtr_{key}"] = float(ref.loc["overall", key])
            nan = fair is None
            self.overall[f"tstr_{key}"] = float("nan") if nan else float(fair.loc["overall", key])
        for key in _TSTR_KEYS:
            self.table[f"trtr_{key}"] = self.per_group(ref, key)
            self.table[f"tstr_{key}"] = (
                [float("nan")] * len(self.table) if fair is None else self.per_group(fair, key)
            )


def score_table(
    scenario: Scenario, x: np.ndarray
) -> tuple[pd.DataFrame, dict[str, float], dict[str, str]]:
    """Per-group table, overall numbers and notes for ``[N, width]`` encoded records.

    ``x`` should be the records as released (decoded and encoded again): raw generator
    outputs sit off the integer grid and between categories, and would never equal a
    training record.
    """
    scores = _Scores(scenario, scenario.encoder.decode(x), _group_shares(scenario, x))
    train, test = _real_records(scenario)
    scores.quality(train)
    if scenario.tstr is None or test is None:
        why = "the scenario names no target" if scenario.tstr is None else "no rows are held out"
        scores.notes["tstr"] = f"train-on-synthetic, test-on-real not computed: {why}"
    else:
        scores.tstr(test)
    if scenario.holdout_x is None:
        scores.notes["dcr"] = "distance to closest record not computed: no rows are held out"
    else:
        dcr = distance_to_closest_record(scenario.x, x, scenario.holdout_x)
        scores.overall |= {
            "dcr_ratio": dcr.ratio,
            "dcr_copies": dcr.synthetic_copies,
            "dcr_holdout_copies": dcr.holdout_copies,
        }
    return scores.table, scores.overall, scores.notes
