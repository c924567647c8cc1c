"""The CTGAN anchor is fitted on the pooled training records and scored like a fedgan run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fedgan.config import RunConfig
from simulations.ctgan_anchor import run_ctgan

pytest.importorskip("ctgan")
pytest.importorskip("sdmetrics")


def _config(tmp_path: Path, scenario: str = "arrests-sex") -> RunConfig:
    return RunConfig.from_mapping(
        {"scenario": scenario, "eval-samples": 400, "output-dir": str(tmp_path / "ctgan")}
    )


def test_anchor_writes_a_scored_run(tmp_path: Path) -> None:
    out = run_ctgan(_config(tmp_path), epochs=2, verbose=False)
    metrics = pd.read_csv(out / "metrics.csv")
    assert len(metrics) == 2 and {"overall_quality", "overall_dcr_ratio"} <= set(metrics)
    assert metrics["generated_share"].sum() == pytest.approx(1.0)
    samples = pd.read_csv(out / "samples.csv")
    assert len(samples) == 400 and "released" in samples
    facts = json.loads((out / "verdict.json").read_text())
    assert "CTGAN anchor" in (out / "verdict.txt").read_text() and "learned" in facts
    assert json.loads((out / "config.json").read_text())["mode"] == "ctgan"
    assert (out / "generator.pt").stat().st_size > 0
    # same seed, same files, bit for bit
    again = run_ctgan(
        RunConfig.from_mapping(
            _config(tmp_path).to_mapping() | {"output-dir": str(tmp_path / "b")}
        ),
        epochs=2,
        verbose=False,
    )
    for name in ("samples.csv", "metrics.csv", "generator.pt"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_anchor_refuses_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        run_ctgan(_config(tmp_path), epochs=0)
    with pytest.raises(ValueError, match="'ring8-minority' is not a table"):
        run_ctgan(_config(tmp_path, "ring8-minority"), epochs=1)
    assert not (tmp_path / "ctgan").exists()
