"""End to end through ``flwr run`` (real SuperLink, real Ray simulation)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from simulations._processes import pids_matching
from simulations.flower import run_flower
from simulations.inprocess import main as inprocess

SMALL = {
    "num-server-rounds": 2,
    "generator-steps": 4,
    "eval-every": 1,
    "batch-size": 32,
    "eval-samples": 500,
    "hidden": 32,
    "seed": 3,
    "fraction-train": 0.5,
}


@pytest.mark.slow
def test_flwr_run_writes_exactly_what_the_in_process_run_writes(tmp_path: Path) -> None:
    # 10 clients, half of them sampled per round: replies arrive in any order, node ids
    # are random, and still every file but the node map is the same, bit for bit.
    before = set(pids_matching("flwr-simulation")) | set(pids_matching("raylet"))
    fl, ip = tmp_path / "flwr-out", tmp_path / "in-process"
    rc = run_flower(
        run_config=SMALL | {"output-dir": str(fl)},
        num_supernodes=10,
        num_cpus=1,
        timeout=400,
        home=tmp_path / "flwr",
    )
    assert rc == 0
    text = " ".join(f"{k}={json.dumps(v)}" for k, v in (SMALL | {"output-dir": str(ip)}).items())
    inprocess(["--num-partitions", "10", "--run-config", text])
    for name in (
        "metrics.csv",
        "weights.csv",
        "clients.csv",
        "samples.csv",
        "generator.pt",
        "verdict.txt",
        "verdict.json",
    ):
        assert (fl / name).read_bytes() == (ip / name).read_bytes(), name
    cfg_fl, cfg_ip = (json.loads((d / "config.json").read_text()) for d in (fl, ip))
    assert {k: v for k, v in cfg_fl.items() if k != "output-dir"} == {
        k: v for k, v in cfg_ip.items() if k != "output-dir"
    }
    nodes = pd.read_csv(fl / "nodes.csv")
    assert sorted(nodes["partition_id"]) == list(range(10))
    weights = pd.read_csv(fl / "weights.csv")
    assert weights.groupby("round").size().tolist() == [5, 5]  # fraction-train 0.5 of 10
    assert "[fedgan] round" in (fl / "flower.log").read_text()
    state = torch.load(fl / "generator.pt", weights_only=True)
    assert "source_embed.weight" in state and state["source_embed.weight"].shape[0] == 20
    assert not pids_matching(str(tmp_path / "flwr"))  # nothing of ours left running
    assert set(pids_matching("flwr-simulation")) | set(pids_matching("raylet")) <= before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial folder


@pytest.mark.slow
def test_failed_server_app_is_reported_not_hidden(tmp_path: Path) -> None:
    # `flwr run` itself exits 0 when the ServerApp fails; the launcher must not.
    rc = run_flower(
        run_config={
            "num-server-rounds": 1,
            "output-dir": str(tmp_path / "o"),
            "reference-dir": str(tmp_path / "no-such-run"),
        },
        num_supernodes=2,
        timeout=300,
        home=tmp_path / "flwr",
    )
    assert rc != 0
    assert not (tmp_path / "o").exists()
    assert not pids_matching(str(tmp_path / "flwr"))


@pytest.mark.slow
def test_faults_through_flwr_run_and_resume_after_a_kill(tmp_path: Path) -> None:
    # 30% of client rounds crash, and the server is killed with SIGKILL after round 2 of 4;
    # the resumed run ends exactly where an uninterrupted one does.
    import os
    import signal
    import subprocess
    import sys

    settings = SMALL | {
        "num-server-rounds": 4,
        "fraction-train": 1.0,
        "fail-rate": 0.3,
        "output-dir": str(tmp_path / "cut"),
    }
    text = " ".join(f"{k}={json.dumps(v)}" for k, v in settings.items())
    before = set(pids_matching("flwr-simulation"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulations.flower",
            "--no-reference",
            "--num-supernodes",
            "5",
            "--run-config",
            text,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "[fedgan] round   2/4" in line:
            for pid in set(pids_matching("flwr-simulation")) - before:
                os.kill(pid, signal.SIGKILL)
            break
    rest = proc.stdout.read()
    assert proc.wait(timeout=300) != 0 and "resume=true" in rest
    rc = run_flower(
        run_config=settings | {"resume": True},
        num_supernodes=5,
        timeout=400,
        home=tmp_path / "flwr2",
    )
    assert rc == 0
    full = tmp_path / "full"
    inprocess(
        [
            "--num-partitions",
            "5",
            "--run-config",
            " ".join(
                f"{k}={json.dumps(v)}" for k, v in (settings | {"output-dir": str(full)}).items()
            ),
        ]
    )
    for name in ("metrics.csv", "weights.csv", "generator.pt"):
        assert (full / name).read_bytes() == (tmp_path / "cut" / name).read_bytes(), name
    clients = pd.read_csv(tmp_path / "cut" / "clients.csv")
    assert (clients["status"] == "failed").sum() > 0  # the crashes were left out, the run went on
