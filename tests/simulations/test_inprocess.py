"""The in-process runner: the verdict compares with the reference it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulations.inprocess import main as inprocess

TINY = "num-server-rounds=1 generator-steps=2 eval-every=1 batch-size=16 eval-samples=200 hidden=16"


def test_a_missing_reference_stops_the_run_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(FileNotFoundError, match="reference-dir"):
        inprocess(
            [
                "--num-partitions",
                "2",
                "--run-config",
                f'{TINY} output-dir="{out}" reference-dir="{tmp_path / "nothing"}"',
            ]
        )
    assert not out.exists()


def test_the_verdict_compares_with_the_reference(tmp_path: Path) -> None:
    ref = tmp_path / "ref"
    inprocess(["--num-partitions", "2", "--run-config", f'{TINY} output-dir="{ref}"'])
    out = tmp_path / "run"
    inprocess(
        [
            "--num-partitions",
            "2",
            "--run-config",
            f'{TINY} output-dir="{out}" reference-dir="{ref}"',
        ]
    )
    assert "No centralised reference" in (ref / "verdict.txt").read_text()
    assert "Centralised reference:" in (out / "verdict.txt").read_text()
