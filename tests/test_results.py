"""A run's folder is written whole or not at all, and never mixes two runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import torch

from fedgan.config import RunConfig
from fedgan.evaluation import Verdict
from fedgan.results import RunFiles, check_writable, config_fingerprint, run_settings, write_run


def _files(tag: str, fail: bool = False) -> RunFiles:
    metrics = pd.DataFrame({"round": [0], "group": [0], "tag": [tag]})
    weights = None
    if fail:

        class Boom(pd.DataFrame):  # a table that cannot be written
            def to_csv(self, *a: object, **k: object) -> str:  # type: ignore[override]
                raise OSError("disk full")

        weights = Boom({"x": [1]})
    return RunFiles(
        settings=run_settings(RunConfig()),
        metrics=metrics,
        verdict=Verdict(True, ["ok"]),
        generator_state={"w": torch.ones(2)},
        weights=weights,
    )


def test_folder_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, _files("first"))
    (out / "stale.csv").write_text("old")
    write_run(out, _files("second"))
    assert not (out / "stale.csv").exists()  # nothing of the first run is left beside the second
    assert pd.read_csv(out / "metrics.csv")["tag"].tolist() == ["second"]
    state = torch.load(out / "generator.pt", weights_only=True)
    assert torch.equal(state["w"], torch.ones(2))
    assert (out / "verdict.txt").read_text() == "ok\n"
    assert json.loads((out / "config.json").read_text())["fingerprint"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_failed_write_leaves_previous_results(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, _files("first"))
    with pytest.raises(OSError, match="disk full"):
        write_run(out, _files("second", fail=True))
    assert pd.read_csv(out / "metrics.csv")["tag"].tolist() == ["first"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_fingerprint_ignores_output_dir_only() -> None:
    a = RunConfig().to_mapping()
    assert config_fingerprint(a) == config_fingerprint(a | {"output-dir": "elsewhere"})
    assert config_fingerprint(a) != config_fingerprint(a | {"seed": 1})


def test_unwritable_output_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(PermissionError, match="not a folder"):
        check_writable(tmp_path / "file")
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):  # root writes anyway
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(PermissionError, match="output-dir"):
            check_writable(locked / "run")
    finally:
        os.chmod(locked, 0o700)
