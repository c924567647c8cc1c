"""The ``flwr run`` launcher's retry and failure reporting (no Flower process started)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from simulations import flower


def _fake_runs(monkeypatch: pytest.MonkeyPatch, outcomes: list[tuple[int, str]]) -> list[Path]:
    homes: list[Path] = []

    def fake(**kw: object) -> tuple[int, str]:
        homes.append(Path(str(kw["home"])))
        return outcomes[len(homes) - 1]

    monkeypatch.setattr(flower, "_run_once", fake)
    return homes


def test_heartbeat_failure_is_retried_in_a_fresh_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    homes = _fake_runs(monkeypatch, [(1, "No heartbeat received from the task"), (0, "")])
    assert flower.run_flower(home=tmp_path, retries=2) == 0
    assert len(homes) == 2 and homes[0] != homes[1]


def test_other_failures_are_not_retried(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    homes = _fake_runs(monkeypatch, [(1, "ServerApp raised ValueError"), (0, "")])
    assert flower.run_flower(home=tmp_path) == 1
    assert len(homes) == 1


def test_retries_are_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    homes = _fake_runs(monkeypatch, [(1, flower.HEARTBEAT_FAILURE)] * 5)
    assert flower.run_flower(home=tmp_path, retries=1) == 1
    assert len(homes) == 2


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="retries"):
        flower.run_flower(home=tmp_path, retries=-1)
    with pytest.raises(ValueError, match="num_supernodes"):
        flower.run_flower(home=tmp_path, num_supernodes=0)


def test_failure_details_reads_the_runs_own_failed_task(tmp_path: Path) -> None:
    db = tmp_path / "local-superlink" / "state.db"
    db.parent.mkdir()
    run_id = (1 << 64) - 5  # a uint64 run id that SQLite stores as int64 -5
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE task (run_id INTEGER, sub_status TEXT, details TEXT)")
        con.executemany(
            "INSERT INTO task VALUES (?, ?, ?)",
            [(-5, "failed", "No heartbeat received from the task"), (7, "failed", "other run"),
             (-5, "completed", "")],
        )  # fmt: skip
    assert flower._failure_details(tmp_path, str(run_id)) == "No heartbeat received from the task"
    assert flower._failure_details(tmp_path, None) == "details unavailable"
    assert flower._failure_details(tmp_path / "nowhere", "1") == "details unavailable"
