"""The sweep runner and the fairness report on tiny real runs; bad folders refused."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from simulations.report import RunFolderError, build_report, collapse_weights
from simulations.run import load_sweep, markdown_summary, run_sweep
from tests._tiny_run import tiny_run

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "simulations" / "scenarios" / "smoke.toml"


@pytest.mark.slow
def test_smoke_sweep_then_report(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    table = run_sweep(SMOKE, out, timeout=400)
    assert set(table["variant"]) == {"conditional", "private", "central"}
    assert set(table["group"]) == {0, 1} and (table["round"] == 2).all()
    assert {"setting_federation", "setting_mode", "seed", "learned", "wall_seconds"} <= set(
        table.columns
    )
    md = markdown_summary(table)
    assert "modes held (of 8)" in md and "reverse KL" in md and md.count("\n") == 4
    # every federated run's verdict compares with the sweep's centralised run of its seed
    assert "Centralised reference" in (out / "conditional" / "seed0" / "verdict.txt").read_text()
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 6 and "overall_hq_mean" in summary
    report = build_report(
        [out / "conditional" / "seed0", out / "central" / "seed0"], tmp_path / "report"
    )
    text = report.read_text()
    for section in (
        "## Verdicts",
        "## Definitions",
        "95% bootstrap CI",
        "difference",
        "Aggregation weight",
    ):
        assert section in text, section
    pngs = sorted(p.name for p in (tmp_path / "report").glob("*.png"))
    assert pngs == [
        "run0_mass.png",
        "run0_rounds.png",
        "run0_scatter.png",
        "run1_mass.png",
        "run1_rounds.png",
        "run1_scatter.png",
    ]
    assert all((tmp_path / "report" / p).stat().st_size > 1000 for p in pngs)
    # a second call reuses the finished runs; a changed setting reruns only that run
    again = run_sweep(SMOKE, out, timeout=5)
    assert len(again) == len(table)
    from simulations.run import _finished

    central = out / "central" / "seed0"
    request = {
        "scenario": "ring8-minority",
        "num-server-rounds": 2,
        "generator-steps": 3,
        "batch-size": 32,
        "hidden": 32,
        "eval-samples": 400,
        "seed": 0,
    }
    assert _finished(central, request)
    assert not _finished(central, request | {"num-server-rounds": 3})
    # a run folder rewritten since the sweep finished it is not taken as done
    cfg = central / "config.json"
    cfg.write_text(json.dumps(json.loads(cfg.read_text()) | {"num-server-rounds": 1}))
    assert not _finished(central, request)


def test_report_rejects_missing_or_malformed_folder(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match="does not exist"):
        build_report([tmp_path / "nope"], tmp_path / "r")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "metrics.csv").write_text("a,b\n1,2\n")
    with pytest.raises(RunFolderError, match=r"config\.json"):
        build_report([bad], tmp_path / "r")
    (bad / "config.json").write_text('{"scenario": "ring8-minority", "scenario-spec": {}}')
    with pytest.raises(RunFolderError, match="round"):
        build_report([bad], tmp_path / "r")
    (bad / "metrics.csv").write_text("round,group,hq\n0,0,0.5\n1,0")
    with pytest.raises(RunFolderError, match=r"metrics\.csv, line 3"):
        build_report([bad], tmp_path / "r")
    (bad / "metrics.csv").write_text("round,group,hq\n")
    with pytest.raises(RunFolderError, match="no rows"):
        build_report([bad], tmp_path / "r")
    (bad / "metrics.csv").write_text("")
    with pytest.raises(RunFolderError, match="empty"):
        build_report([bad], tmp_path / "r")
    assert not (tmp_path / "r").exists()  # nothing written for a bad input


def test_weights_collapse_to_the_rounds_where_they_change() -> None:
    w = pd.DataFrame(
        {
            "round": [1, 1, 2, 2, 3, 3, 4, 4],
            "partition_id": [0, 1] * 4,
            "weight": [0.5, 0.5, 0.5, 0.5, 0.7, 0.3, 0.7, 0.3],
        }
    )
    c = collapse_weights(w)
    assert c.index.tolist() == ["1–2", "3–4"] and c["client 0"].tolist() == [0.5, 0.7]


def test_sweep_file_validated_before_running(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('name = "x"\nseeds = [0]\n[[variants]]\nlabel = "v"\naggregation = "median"\n')
    with pytest.raises(ValueError, match="aggregation"):
        load_sweep(f)
    f.write_text('name = "x"\nseeds = [0]\n[[variants]]\nlabel = "v"\nmode = "cloud"\n')
    with pytest.raises(ValueError, match="mode"):
        load_sweep(f)
    with pytest.raises(FileNotFoundError, match=r"nope\.toml"):
        load_sweep(tmp_path / "nope.toml")


def test_seeds_override_replaces_the_files_seeds(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('name = "x"\nseeds = [0, 1, 2]\n[[variants]]\nlabel = "v"\n')
    assert load_sweep(f)["seeds"] == [0, 1, 2]
    assert load_sweep(f, seeds=[2])["seeds"] == [2]
    with pytest.raises(ValueError, match="seeds"):
        load_sweep(f, seeds=[])
    with pytest.raises(ValueError, match="seeds"):
        load_sweep(f, seeds=[-1])


@pytest.mark.parametrize(
    "path", sorted((ROOT / "simulations" / "scenarios").glob("*.toml")), ids=str
)
def test_every_shipped_sweep_file_is_valid(path: Path) -> None:
    sweep = load_sweep(path)
    assert sweep["variants"] and sweep["seeds"]


def test_only_keeps_the_named_variants_and_refuses_unknown_ones(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(
        'name = "x"\nseeds = [0]\n[[variants]]\nlabel = "a"\n[[variants]]\nlabel = "b"\n'
        '[[variants]]\nlabel = "c"\nmode = "ctgan"\n'
    )
    assert [v["label"] for v in load_sweep(f, only=["c", "a"])["variants"]] == ["a", "c"]
    with pytest.raises(ValueError, match=r"unknown variant\(s\) \['z'\]"):
        load_sweep(f, only=["a", "z"])


def test_summary_of_image_runs_has_a_frechet_distance_and_no_reverse_kl() -> None:
    rows = [
        {
            "variant": "e",
            "seed": s,
            "group": g,
            "group_name": f"g{g}",
            "learned": True,
            "overall_modes": 10,
            "overall_modes_held": 10,
            "overall_hq": 0.6,
            "overall_fd": fd,
            "overall_kid": fd / 10,
            "intra_kid": fd / 5 + g,
            "modes_held": 5,
            "modes": 5,
            "mass_ratio": 1.0,
        }
        for s, fd in ((0, 4.0), (1, 6.0))
        for g in (0, 1)
    ]
    md = markdown_summary(pd.DataFrame(rows))
    assert "FD" in md and "5.00 ± 1.41" in md and "reverse KL" not in md
    assert "KID" in md and "0.50 ± 0.14" in md  # overall
    assert "g1: intra-KID" in md and "2.00 ± 0.28" in md  # group 1: 0.8 + 1 and 1.2 + 1
    assert "pull" not in md  # not measured by these runs


def test_report_draws_the_group_dro_shares(tmp_path: Path) -> None:
    run = tiny_run(tmp_path / "dro", {"aggregation": "group-dro", "dro-step": 0.5})
    build_report([run], tmp_path / "report")
    pngs = sorted(p.name for p in (tmp_path / "report").glob("*.png"))
    assert (
        "run0_shares.png" in pngs
        and (tmp_path / "report" / "run0_shares.png").stat().st_size > 1000
    )
    plain = tiny_run(tmp_path / "plain", {})
    build_report([plain], tmp_path / "report-plain")
    assert not list((tmp_path / "report-plain").glob("*_shares.png"))
