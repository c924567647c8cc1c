"""Rescoring a finished run's released samples gives the numbers the run wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fedgan.config import RunConfig
from fedgan.federation import run_in_process
from fedgan.results import write_run
from simulations.rescore import main, rescore, table_summary

pytest.importorskip("sdmetrics")


def test_rescored_table_equals_the_runs_own_last_round(tmp_path: Path) -> None:
    out = tmp_path / "sweep" / "e" / "seed0"
    cfg = RunConfig.from_mapping(
        {
            "scenario": "arrests-colour",
            "num-server-rounds": 4,
            "eval-every": 2,
            "eval-samples": 300,
            "output-dir": str(out),
        }
    )
    write_run(out, run_in_process(cfg, num_partitions=3).files(mode="federated"))
    metrics = pd.read_csv(out / "metrics.csv")
    last = metrics[metrics["round"] == 4].reset_index(drop=True)
    main([str(tmp_path / "sweep")])
    again = pd.read_csv(tmp_path / "sweep" / "rescored.csv")
    assert again["run"].unique().tolist() == ["e/seed0"]
    for col in ("overall_coverage", "overall_quality", "overall_dcr_ratio", "mass_ratio"):
        np.testing.assert_allclose(again[col], last[col], rtol=1e-9, err_msg=col)
    row = table_summary(again, tmp_path / "sweep").splitlines()[-1]
    # a 4-round run has not learned; one seed: no spread to report
    assert row.startswith("| e | 0/1 | ") and "± nan" in row


def test_nothing_to_rescore_is_said(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"holds samples\.csv and config\.json"):
        rescore(tmp_path)
