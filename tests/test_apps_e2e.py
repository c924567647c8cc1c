"""End to end through ``flwr run`` (real SuperLink, real Ray simulation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from simulations.flower import _pids_matching, run_flower


@pytest.mark.slow
def test_short_federation_through_flwr_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = set(_pids_matching("flwr-simulation")) | set(_pids_matching("raylet"))
    rc = run_flower(
        run_config={
            "scenario": "ring8-minority", "num-server-rounds": 2, "generator-steps": 2,
            "n-critic": 2, "gp-every": 2, "batch-size": 64, "eval-samples": 500,
            "output-dir": str(out),
        },
        num_supernodes=3, num_cpus=1, timeout=400, home=tmp_path / "flwr",
    )  # fmt: skip
    assert rc == 0
    metrics = pd.read_csv(out / "metrics.csv")
    assert sorted(metrics["round"].unique()) == [0, 1, 2]
    assert sorted(metrics["group"].unique()) == [0, 1]
    rounds = metrics[metrics["round"] > 0]
    for col in (
        "hq_fraction",
        "generated_share",
        "real_share",
        "train_count",
        "train_wasserstein",
        "train_grad_norm",
    ):
        assert np.isfinite(rounds[col]).all(), col
    weights = pd.read_csv(out / "weights.csv")
    assert len(weights) == 2 * 3
    per_round = weights.groupby("round")["weight"].sum()
    assert np.allclose(per_round, 1.0)
    # ring8-minority puts all minority rows on client 0: group-balanced gives it
    # π_1 = 0.5 for group 1 plus 0.5 × its share of group 0
    r1 = weights[weights["round"] == 1].set_index("partition_id")
    assert r1.loc[0, "group_1_count"] == r1["group_1_count"].sum()
    share0 = r1["group_0_count"] / r1["group_0_count"].sum()
    assert r1["weight"].to_numpy() == pytest.approx(
        (0.5 * share0 + 0.5 * (r1.index == 0)).to_numpy()
    )
    clients = pd.read_csv(out / "clients.csv")
    steps = clients.pivot(index="partition-id", columns="round", values="critic-steps")
    assert (steps[2] == 2 * steps[1]).all() and (steps[1] == 4).all()  # critic kept across rounds
    final = torch.load(out / "generator.pt")
    assert final and all(not k.startswith(("critic", "features", "head")) for k in final)
    assert len(pd.read_csv(out / "samples.csv")) == 500
    assert not _pids_matching(str(tmp_path / "flwr"))  # nothing of ours left running
    after = set(_pids_matching("flwr-simulation")) | set(_pids_matching("raylet"))
    assert after <= before  # neither the simulation process nor Ray outlive the run
    assert not list(out.glob(".*.tmp"))


@pytest.mark.slow
def test_failed_server_app_is_reported_not_hidden(tmp_path: Path) -> None:
    # `flwr run` itself exits 0 when the ServerApp fails; the launcher must not.
    rc = run_flower(
        run_config={"scenario": "ring8-minority", "model": "conv", "output-dir": str(tmp_path / "o")},
        num_supernodes=2, timeout=300, home=tmp_path / "flwr",
    )  # fmt: skip
    assert rc != 0
    assert not (tmp_path / "o").exists()
    assert not _pids_matching(str(tmp_path / "flwr"))


@pytest.mark.slow
def test_same_seed_same_results(tmp_path: Path) -> None:
    # Every random draw, the clients' first critic init included, follows the run seed.
    tables = []
    for i in range(2):
        out = tmp_path / f"out{i}"
        rc = run_flower(
            run_config={
                "scenario": "ring8-minority", "num-server-rounds": 2, "generator-steps": 3,
                "n-critic": 2, "batch-size": 64, "eval-samples": 500, "seed": 3,
                "output-dir": str(out),
            },
            num_supernodes=2, num_cpus=1, timeout=400, home=tmp_path / f"flwr{i}",
        )  # fmt: skip
        assert rc == 0
        tables.append(pd.read_csv(out / "metrics.csv"))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert tables[0]["round"].max() == 2
