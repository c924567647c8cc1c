"""The ``flwr run`` launcher: checks before starting, retries, failure details (no Flower started)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fedgan.config import RunConfigError
from simulations import flower


def _fake_runs(monkeypatch: pytest.MonkeyPatch, outcomes: list[tuple[int, str, int]]) -> list[Path]:
    homes: list[Path] = []

    def fake(**kw: object) -> tuple[int, str, int]:
        homes.append(Path(str(kw["home"])))
        return outcomes[len(homes) - 1]

    monkeypatch.setattr(flower, "_run_once", fake)
    return homes


def _cfg(tmp_path: Path) -> dict[str, object]:
    return {"output-dir": str(tmp_path / "out")}


def test_heartbeat_failure_before_any_round_is_retried_in_a_fresh_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    homes = _fake_runs(monkeypatch, [(1, "No heartbeat received from the task", 0), (0, "", 40)])
    assert flower.run_flower(run_config=_cfg(tmp_path), home=tmp_path, retries=2) == 0
    assert len(homes) == 2 and homes[0] != homes[1]


def test_a_server_that_died_mid_run_is_not_restarted_silently(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    homes = _fake_runs(monkeypatch, [(1, flower.HEARTBEAT_FAILURE, 3), (0, "", 40)])
    assert flower.run_flower(run_config=_cfg(tmp_path), home=tmp_path) == 1
    assert len(homes) == 1


def test_other_failures_are_not_retried(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    homes = _fake_runs(monkeypatch, [(1, "ServerApp raised ValueError", 0), (0, "", 0)])
    assert flower.run_flower(run_config=_cfg(tmp_path), home=tmp_path) == 1
    assert len(homes) == 1


@pytest.mark.parametrize(("rc", "kept"), [(0, False), (1, True)])
def test_a_home_made_here_is_removed_after_success_and_kept_after_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rc: int, kept: bool
) -> None:
    # A successful run's Flower log is copied into its results folder; a failed one's log
    # is only in the home, whose path the launcher prints.
    monkeypatch.setattr(flower.tempfile, "tempdir", str(tmp_path))
    homes = _fake_runs(monkeypatch, [(rc, "ServerApp raised ValueError", 0)])
    assert flower.run_flower(run_config=_cfg(tmp_path)) == rc
    assert homes[0].parent == tmp_path and homes[0].is_dir() == kept


def test_retries_are_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    homes = _fake_runs(monkeypatch, [(1, flower.HEARTBEAT_FAILURE, 0)] * 5)
    assert flower.run_flower(run_config=_cfg(tmp_path), home=tmp_path, retries=1) == 1
    assert len(homes) == 2


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"retries": -1}, ValueError, "retries"),
        ({"num_supernodes": 0}, ValueError, "num_supernodes"),
        # Flower's simulation config holds whole CPUs; 1.0 used to reach flwr and fail there.
        ({"num_cpus": 1.0}, ValueError, "num_cpus must be a whole number"),
        ({"num_cpus": 0}, ValueError, "num_cpus"),
        ({"num_gpus": -0.5}, ValueError, "num_gpus"),
        ({"run_config": {"num-rounds": 3}}, RunConfigError, "num-rounds"),
        ({"run_config": "seed=-5"}, RunConfigError, "seed"),
        ({"run_config": "scenario=ring"}, RunConfigError, "scenario"),
        (
            {"run_config": {"min-nodes": 6}, "num_supernodes": 5},
            ValueError,
            r"min-nodes=6.*5 SuperNodes",
        ),
        (
            {"run_config": {"minority-partitions": 8}, "num_supernodes": 5},
            ValueError,
            r"cannot be split over 5 clients.*minority_partitions \(8\)",
        ),
        (
            {"run_config": {"minority-share": 1e-5}, "num_supernodes": 5},
            ValueError,
            r"cannot be split.*minority-share",
        ),
    ],
)
def test_bad_arguments_are_refused_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kwargs: dict, exc: type, match: str
) -> None:
    homes = _fake_runs(monkeypatch, [(0, "", 1)])
    with pytest.raises(exc, match=match):
        flower.run_flower(home=tmp_path, **kwargs)
    assert homes == []


def test_unwritable_output_is_refused_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    homes = _fake_runs(monkeypatch, [(0, "", 1)])
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(PermissionError, match="output-dir"):
        flower.run_flower(run_config={"output-dir": str(tmp_path / "taken")}, home=tmp_path)
    assert homes == []


def test_failure_details_reads_the_runs_own_failed_task(tmp_path: Path) -> None:
    db = tmp_path / "local-superlink" / "state.db"
    db.parent.mkdir()
    run_id = (1 << 64) - 5  # a uint64 run id that SQLite stores as int64 -5
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE task (run_id INTEGER, sub_status TEXT, details TEXT)")
        con.executemany(
            "INSERT INTO task VALUES (?, ?, ?)",
            [
                (-5, "failed", "No heartbeat received from the task"),
                (7, "failed", "other run"),
                (-5, "completed", ""),
            ],
        )
    assert flower._failure_details(tmp_path, str(run_id)) == "No heartbeat received from the task"
    assert flower._failure_details(tmp_path, None) == "details unavailable"
    assert flower._failure_details(tmp_path / "nowhere", "1") == "details unavailable"
