"""The sweep runner and the fairness report on tiny real runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulations.report import RunFolderError, build_report
from simulations.run import load_sweep, markdown_summary, run_sweep

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_smoke_sweep_then_report(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    table = run_sweep(ROOT / "simulations" / "scenarios" / "smoke.toml", out, timeout=400)
    assert set(table["variant"]) == {"size", "central"}
    assert set(table["group"]) == {0, 1} and (table["round"] == 2).all()
    assert {"setting_aggregation", "setting_mode", "seed"} <= set(table.columns)
    md = markdown_summary(table)
    assert "group 1 modes (of 2)" in md and "reverse KL" in md and md.count("\n") == 3
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4 and "overall_modes_mean" in summary
    report = build_report([out / "size" / "seed0", out / "central" / "seed0"], tmp_path / "report")
    text = report.read_text()
    for section in (
        "Per round × group",
        "bootstrap CI",
        "Aggregation weight per client",
        "Final round, all runs",
    ):
        assert section in text
    pngs = sorted(p.name for p in (tmp_path / "report").glob("*.png"))
    assert pngs == [
        "run0_coverage.png",
        "run0_scatter.png",
        "run0_weights.png",
        "run1_coverage.png",
        "run1_scatter.png",
    ]
    assert all((tmp_path / "report" / p).stat().st_size > 1000 for p in pngs)
    # a second call reuses the finished runs
    again = run_sweep(ROOT / "simulations" / "scenarios" / "smoke.toml", out, timeout=5)
    assert len(again) == len(table)


def test_report_rejects_missing_or_malformed_folder(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match="does not exist"):
        build_report([tmp_path / "nope"], tmp_path / "r")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "metrics.csv").write_text("a,b\n1,2\n")
    with pytest.raises(RunFolderError, match=r"config\.json"):
        build_report([bad], tmp_path / "r")
    (bad / "config.json").write_text("{}")
    with pytest.raises(RunFolderError, match="round"):
        build_report([bad], tmp_path / "r")
    assert not (tmp_path / "r").exists()  # nothing written for a bad input


def test_sweep_file_validated_before_running(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('name = "x"\nseeds = [0]\n[[variants]]\nlabel = "v"\naggregation = "median"\n')
    with pytest.raises(ValueError, match="aggregation"):
        load_sweep(f)
    with pytest.raises(FileNotFoundError, match=r"nope\.toml"):
        load_sweep(tmp_path / "nope.toml")
