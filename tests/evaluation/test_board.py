"""TensorBoard scalars of the evaluated rounds, read back and compared with metrics.csv."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from fedgan.config import RunConfig, RunConfigError
from fedgan.evaluation import board_scalars
from simulations.inprocess import main as inprocess


def _events(folder: Path) -> dict[str, dict[int, float]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: {e.step: e.value for e in acc.Scalars(tag)} for tag in acc.Tags()["scalars"]}


def test_events_hold_every_evaluated_round_of_metrics_csv(tmp_path: Path) -> None:
    out = tmp_path / "run"
    settings = {
        "num-server-rounds": 4,
        "generator-steps": 2,
        "batch-size": 32,
        "eval-samples": 300,
        "hidden": 16,
        "eval-every": 2,
        "tensorboard": True,
        "output-dir": str(out),
    }
    text = " ".join(f"{k}={json.dumps(v)}" for k, v in settings.items())
    inprocess(["--num-cpus", "1", "--num-partitions", "3", "--run-config", text])
    events = _events(out / "tensorboard")
    metrics = pd.read_csv(out / "metrics.csv")
    assert sorted(events["overall/hq"]) == sorted(metrics["round"].unique()) == [0, 2, 4]
    compared = 0
    for _, row in metrics.iterrows():
        g, step = int(row["group"]), int(row["round"])
        for col in ("hq_fraction", "mass_ratio", "modes_held", "generated_share", "target_share"):
            if math.isfinite(row[col]):
                assert events[f"group/{g}/{col}"][step] == pytest.approx(row[col], rel=1e-6)
                compared += 1
        assert events["overall/modes_held"][step] == pytest.approx(row["overall_modes_held"])
    assert compared >= 20
    assert not (tmp_path / ".run.checkpoint").exists()  # the live copy went with the checkpoint


def test_scalars_skip_text_and_non_finite_values() -> None:
    rows = [
        {
            "round": 3,
            "group": 1,
            "group_name": "minority",
            "hq_fraction": 0.5,
            "coverage": float("nan"),
            "overall_reverse_kl": float("inf"),
            "overall_hq": 0.4,
        }
    ]
    assert board_scalars(rows) == {"group/1/hq_fraction": 0.5, "overall/hq": 0.4}


def test_tensorboard_without_the_package_is_refused_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorboard" else real(name, *a),
    )
    with pytest.raises(RunConfigError, match=r"tensorboard.*pip install 'fedgan\[tensorboard\]'"):
        RunConfig.from_mapping({"tensorboard": True})
