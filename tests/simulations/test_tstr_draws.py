"""``simulations.tstr_draws``: TSTR of fresh draws from a table run's saved generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fedgan.evaluation import train_on_real
from simulations.inprocess import main as inprocess
from simulations.tstr_draws import main as tstr_main
from simulations.tstr_draws import tstr_draws

TINY = {"num-server-rounds": 2, "generator-steps": 2, "batch-size": 32, "eval-samples": 300}
# Enough training that every draw holds both classes of the target.
TABLE = {"num-server-rounds": 300, "eval-every": 300}


def _run(folder: Path, scenario: str, **extra: object) -> Path:
    settings = TINY | extra | {"scenario": scenario, "hidden": 16, "output-dir": str(folder)}
    text = " ".join(f"{k}={json.dumps(v)}" for k, v in settings.items())
    inprocess(["--num-cpus", "1", "--num-partitions", "2", "--run-config", text])
    return folder


@pytest.fixture(scope="module")
def table_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("arrests") / "run", "arrests-colour", **TABLE)


def test_draws_are_seeded_and_sit_beside_train_on_real(table_run: Path, tmp_path: Path) -> None:
    a = tstr_draws([table_run], rows=[200, 400], draws=2)
    b = tstr_draws([table_run], rows=[200, 400], draws=2)
    pd.testing.assert_frame_equal(a, b)  # same draws, same scores
    assert a["rows"].tolist() == [200, 400] and (a["draws"] == 2).all()
    assert (a["scored"] == 2).all() and (a["note"] == "").all()
    assert a["tstr_auc"].between(0, 1).all() and (a["tstr_auc_sd"] >= 0).all()
    assert np.allclose(a["gap"], a["trtr_auc"] - a["tstr_auc"])
    import fedgan

    ref = train_on_real(fedgan.load(table_run).scenario)
    assert ref is not None and np.allclose(a["trtr_auc"], ref.loc["overall", "auc"])
    tstr_main([str(table_run), "--rows", "200", "--draws", "2", "--out", str(tmp_path / "t.csv")])
    written = pd.read_csv(tmp_path / "t.csv")
    assert np.allclose(written["tstr_auc"], a.loc[a["rows"] == 200, "tstr_auc"])


def test_a_draw_that_cannot_be_scored_says_why_and_is_not_counted(tmp_path: Path) -> None:
    untrained = _run(tmp_path / "tiny", "arrests-colour")  # two rounds: every record "Yes"
    row = tstr_draws([untrained], rows=[200], draws=2).iloc[0]
    assert row["scored"] == 0 and "one class" in row["note"]
    assert np.isnan(row["tstr_auc"]) and np.isnan(row["gap"])  # not counted as chance


def test_a_run_without_a_tstr_target_is_refused_by_name(tmp_path: Path) -> None:
    ring = _run(tmp_path / "ring", "ring8-minority")
    with pytest.raises(ValueError, match=r"ring.*no TSTR target"):
        tstr_draws([ring])


def test_sizes_and_draws_below_one_are_refused(table_run: Path) -> None:
    with pytest.raises(ValueError, match="rows and draws must be >= 1"):
        tstr_draws([table_run], rows=[0])
    with pytest.raises(ValueError, match="rows and draws must be >= 1"):
        tstr_draws([table_run], draws=0)
