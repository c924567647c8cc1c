"""Client checkpoints: whole files, newest usable state, unreadable leftovers skipped."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from fedgan.config import RunConfig
from fedgan.federation import checkpoint_dir
from fedgan.federation._checkpoint import load_client, save_client


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
