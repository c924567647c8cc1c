"""Your own dataset and partitioner, named by import path; the wine CSV example end to end."""

from __future__ import annotations

import numpy as np
import pytest

from fedgan.config import RunConfig, RunConfigError
from fedgan.data import load_scenario, partition_scenario, scenario_spec
from fedgan.federation import run_in_process

WINE = "simulations.examples.wine_csv:WINE"


def test_custom_scenario_loads_and_splits_with_its_own_partitioner() -> None:
    spec = scenario_spec(WINE, num_partitions=4)
    assert spec.dataset == "custom" and spec.source == WINE
    scenario = load_scenario(spec, name=WINE)
    assert scenario.kind == "tabular" and scenario.num_groups == 3
    # 20% of each cultivar (71, 59, 48 wines) is held out for testing: 14 + 12 + 10
    assert scenario.holdout_x is not None and len(scenario.holdout_x) == 36
    assert len(scenario.x) == 142
    assert scenario.group_name(0) == "cultivar=grignolino"  # the largest cultivar first
    parts = partition_scenario(scenario, spec)
    assert sorted(np.concatenate(parts).tolist()) == list(range(142))
    shares = [np.bincount(scenario.group[p], minlength=3) / len(p) for p in parts]
    assert (
        max(float(s.max()) for s in shares) > 0.6
    )  # Dirichlet(0.3) over cultivars: skewed clients


def test_decoded_records_keep_decimal_columns() -> None:
    scenario = load_scenario(scenario_spec(WINE), name=WINE)
    records = scenario.encoder.decode(scenario.x[:5])
    assert not np.allclose(records["malic_acid"], np.round(records["malic_acid"]))
    assert records["magnesium"].dtype.kind == "i"  # integer in the CSV, integer decoded


@pytest.mark.parametrize(
    ("scenario", "match"),
    [
        ("nowhere.module:X", "cannot be imported"),
        ("fedgan.data:SCENARIOS", "not a fedgan.data.CustomScenario"),
        ("ring9", "scenario"),
    ],
)
def test_bad_custom_paths_name_the_key(scenario: str, match: str) -> None:
    with pytest.raises(RunConfigError, match=f"scenario.*{match}|{match}"):
        RunConfig.from_mapping({"scenario": scenario})


def test_wine_federation_runs_in_process() -> None:
    cfg = RunConfig.from_mapping(
        {
            "scenario": WINE,
            "num-server-rounds": 2,
            "generator-steps": 3,
            "batch-size": 32,
            "eval-samples": 200,
            "hidden": 16,
        }
    )
    run = run_in_process(cfg, num_partitions=4)
    m = run.tables()["metrics"]
    assert sorted(m["group_name"].unique()) == [
        "cultivar=barbera",
        "cultivar=barolo",
        "cultivar=grignolino",
    ]
    assert "no target" in m["overall_notes"].iloc[-1]


def test_a_custom_scenarios_rows_cannot_be_redrawn() -> None:
    with pytest.raises(ValueError, match=r"num_samples.*fixed"):
        scenario_spec(WINE, num_samples=100)
