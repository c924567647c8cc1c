"""The privacy budget stops a client in a real federated run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulations.flower import run_flower


@pytest.mark.slow
def test_budget_stops_training_and_server_carries_on(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rc = run_flower(
        run_config={
            "scenario": "ring8-minority",
            "num-server-rounds": 3,
            "generator-steps": 2,
            "n-critic": 2,
            "batch-size": 64,
            "eval-samples": 300,
            "dp": "critic",
            "noise-multiplier": 0.8,
            "epsilon-budget": 1.75,
            "output-dir": str(out),
            "source-layers": 0,
            "eval-every": 1,
        },
        num_supernodes=3,
        num_cpus=1,
        timeout=400,
        home=tmp_path / "flwr",
    )
    assert rc == 0
    clients = pd.read_csv(out / "clients.csv")
    assert len(clients) == 3 * 3  # every client reports every round, trained or stopped
    assert (clients["privacy/epsilon"] <= 1.75).all()  # never past the budget
    stopped = clients[clients["status"] == "stopped"]
    assert len(stopped) >= 1 and (stopped["num-examples"] == 0).all()
    assert (clients[clients["round"] == 1]["status"] == "ok").all()  # all train in round 1
    eps = clients.pivot(index="partition_id", columns="round", values="privacy/epsilon").to_numpy()
    assert (np.diff(eps, axis=1) >= 0).all()  # ε only grows
    weights = pd.read_csv(out / "weights.csv")
    for rnd, part in weights.groupby("round"):
        quitters = set(stopped[stopped["round"] == rnd]["partition_id"].astype(int))
        assert quitters.isdisjoint(set(part["partition_id"])), (
            rnd
        )  # stopped clients are not averaged
    metrics = pd.read_csv(out / "metrics.csv")
    assert sorted(metrics["round"].unique()) == [0, 1, 2, 3]  # the server carried on
