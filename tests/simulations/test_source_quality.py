"""``fedgan-sources``: the per-group summary and the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulations.report import build_report
from simulations.source_quality import group_summary, main
from tests._tiny_run import tiny_run


def _table() -> pd.DataFrame:
    rows = [
        # group 0: four drawn sources whose HQ rises with their rows, one never drawn
        (0, "majority", p, rows, hq, 2.0, 1.0, hq / 2, 0.5, 0.05)
        for p, rows, hq in [
            (0.2, 10, 0.1),
            (0.2, 20, 0.2),
            (0.2, 30, 0.3),
            (0.2, 40, 0.4),
            (0.0, 0, 0.9),
        ]
    ] + [(1, "minority", 0.2, 5, 0.8, 1.0, 0.5, 0.3, 0.3, 0.1)]
    return pd.DataFrame(
        rows,
        columns=[
            "group",
            "group_name",
            "probability",
            "client_rows",
            "hq_fraction",
            "effective_modes",
            "own_mode_share",
            "tv_to_client",
            "tv_to_group",
            "tv_floor",
        ],
    )


def test_group_summary_counts_only_the_drawn_sources() -> None:
    s = group_summary(_table()).set_index("group")
    assert s.loc[0, "sources"] == 4 and s.loc[0, "untrained"] == 1
    assert s.loc[0, "hq_median"] == pytest.approx(0.25)  # the never-drawn 0.9 left out
    assert s.loc[0, "hq_q25"] == pytest.approx(np.quantile([0.1, 0.2, 0.3, 0.4], 0.25))
    assert s.loc[0, "hq_vs_rows"] == pytest.approx(1.0)
    assert np.isnan(s.loc[1, "hq_vs_rows"])  # one source: no correlation
    assert s.loc[1, "own_mode_share"] == pytest.approx(0.5)
    assert s.loc[0, "tv_to_client"] == pytest.approx(0.125)  # median of 0.05 … 0.2


def test_the_command_writes_one_row_per_source_and_refuses_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny_run(tmp_path / "run", {"num-server-rounds": 1, "generator-steps": 1})
    capsys.readouterr()
    main([str(tmp_path / "run"), "--samples", "20"])
    printed = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "run" / "source-quality.csv")
    assert len(table) == len(pd.read_csv(tmp_path / "run" / "sources.csv"))
    assert "6 sources × 20 rows" in printed and "majority: sources 3 drawn, 0 never" in printed
    for argv, message in (
        (["--samples", "5"], "--samples must be >= 10"),
        (["--out", str(tmp_path / "x.txt")], "--out must end in .csv"),
    ):
        with pytest.raises(SystemExit):
            main([str(tmp_path / "run"), *argv])
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path / "nowhere")])
    assert "no config.json" in capsys.readouterr().err
    # the fairness report takes the table up when it is there
    report = build_report([tmp_path / "run"], tmp_path / "report").read_text()
    assert "Each source judged alone" in report and "hq_median" in report
    assert (tmp_path / "report" / "run0_sources.png").stat().st_size > 1000
