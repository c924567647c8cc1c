"""Checkpoints: whole files, newest usable client state, unreadable leftovers skipped; the round log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fedgan.config import RunConfig
from fedgan.federation import checkpoint_dir
from fedgan.federation._checkpoint import (
    append_round_log,
    load_client,
    read_round_log,
    round_log_tables,
    save_client,
)


def _state(value: float) -> dict[str, np.ndarray]:
    return {"w": np.full((3, 4), value, dtype=np.float32)}


def test_the_newest_state_no_later_than_the_round_asked_for(tmp_path: Path) -> None:
    cfg = RunConfig(output_dir=str(tmp_path / "out"))
    for server_round in (2, 5, 9):
        save_client(cfg, 3, server_round, _state(server_round))
    files = sorted(p.name for p in (checkpoint_dir(cfg) / "client-3").iterdir())
    assert files == ["round-5.pt", "round-9.pt"]  # the two newest kept, no temp files left
    assert load_client(cfg, 3, 9)["w"][0, 0] == 9
    assert load_client(cfg, 3, 8)["w"][0, 0] == 5
    assert load_client(cfg, 3, 4) is None  # round 2's state is gone: kept only two
    assert load_client(cfg, 7, 9) is None  # never trained


@pytest.mark.parametrize("keep_bytes", [0, 200])
def test_an_unreadable_newest_state_is_named_and_the_one_before_taken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, keep_bytes: int
) -> None:
    # What a power loss can leave of a state written without fsync: nothing, or a torn file.
    cfg = RunConfig(output_dir=str(tmp_path / "out"))
    save_client(cfg, 0, 4, _state(4.0))
    save_client(cfg, 0, 6, _state(6.0))
    newest = checkpoint_dir(cfg) / "client-0" / "round-6.pt"
    newest.write_bytes(newest.read_bytes()[:keep_bytes])
    with caplog.at_level(logging.WARNING):
        state = load_client(cfg, 0, 6)
    assert state is not None and state["w"][0, 0] == 4
    assert "client 0" in caplog.text and "round-6.pt" in caplog.text


def _log_rows(rnd: int) -> dict[str, list[dict[str, object]]]:
    # rows whose keys differ from round to round, as a failed client's row lacks the metrics
    clients = [{"round": rnd, "partition_id": 0, "status": "failed", "reason": "crashed"}]
    clients += [{"round": rnd, "partition_id": 1, "status": "ok", "reason": None, "loss": rnd / 3}]
    weights = [{"round": rnd, "partition_id": 1, "weight": 1.0, "num_examples": 7 * rnd}]
    return {"weights": weights if rnd != 2 else [], "clients": clients, "evaluation": []}


def test_the_round_log_reads_back_as_the_tables_the_rows_make(tmp_path: Path) -> None:
    cfg = RunConfig(output_dir=str(tmp_path / "out"))
    for rnd in (1, 2, 3):
        append_round_log(cfg, rnd, _log_rows(rnd))
    got = round_log_tables(cfg, ("weights", "clients"))
    for name in ("weights", "clients"):
        every = [row for rnd in (1, 2, 3) for row in _log_rows(rnd)[name]]
        pd.testing.assert_frame_equal(got[name], pd.DataFrame(every))
        assert got[name].to_csv(index=False) == pd.DataFrame(every).to_csv(index=False)
    assert round_log_tables(RunConfig(output_dir=str(tmp_path / "none")), ("weights",))[
        "weights"
    ].empty


def test_resuming_reads_only_the_tables_asked_for_and_cuts_later_lines(tmp_path: Path) -> None:
    cfg = RunConfig(output_dir=str(tmp_path / "out"))
    for rnd in (1, 2, 3):
        append_round_log(cfg, rnd, _log_rows(rnd))
    path = checkpoint_dir(cfg) / "rounds.jsonl"
    with path.open("a", encoding="utf-8") as f:
        f.write('{"round": 4, "weights": [')  # a torn line after round 3's
    kept = read_round_log(cfg, 2, tables=("clients",))
    assert [e["round"] for e in kept] == [1, 2] and set(kept[0]) == {"round", "clients"}
    assert [json.loads(line)["round"] for line in path.read_text().splitlines()] == [1, 2]
