"""Faults in a real TLS deployment on loopback: a SuperNode and the SuperLink crash mid-run.

* A SuperNode killed mid-run: its rounds fail (the SuperLink answers "node unavailable"
  once the node's heartbeat lapses, after 2 × 30 s), the run goes on with the others, and
  the node, started again with its key, rejoins under its own node id, so as its own
  partition.
* The SuperLink killed mid-run (its ServerApp with it): started again on the same database,
  the SuperNodes reconnect, and ``flwr run`` with ``resume = true`` continues from the last
  checkpoint to the end.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from fedgan.config import RunConfig
from fedgan.data import write_owner_file
from fedgan.federation import load_split
from simulations._processes import pids_matching
from simulations.deploy import LocalDeployment

pytestmark = pytest.mark.slow

ROUND_LINE = re.compile(r"\[fedgan\] round\s+(\d+)/\d+ .* (\d+) clients")


def _wait(what: str, ok: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.5)


def _rounds(dep: LocalDeployment) -> list[tuple[int, int]]:
    """(round, clients) of every round line printed so far."""
    return [(int(r), int(c)) for r, c in ROUND_LINE.findall(dep.log("flwr-run"))]


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[LocalDeployment, dict[str, dict[str, Any]]]]:
    cfg = RunConfig()
    scenario, parts = load_split(cfg.scenario_spec(2), cfg.scenario)
    dep = LocalDeployment(tmp_path)
    nodes = {}
    try:
        dep.start_superlink()
        for k in range(2):
            dep.register(f"node{k}")
            rows = write_owner_file(tmp_path / "data" / f"node{k}.csv", scenario, parts[k])
            nodes[f"node{k}"] = {"partition-id": k, "num-partitions": 2, "data-path": str(rows)}
            dep.start_supernode(f"node{k}", node_config=nodes[f"node{k}"])
        yield dep, nodes
    finally:
        dep.stop()
        assert not pids_matching(str(tmp_path)), "a process of the deployment outlived it"


def _in_background(dep: LocalDeployment, run_config: dict[str, Any]) -> threading.Thread:
    thread = threading.Thread(target=dep.run, args=(run_config,), kwargs={"timeout": 900})
    thread.start()
    return thread


def test_a_killed_supernode_rejoins_as_its_partition(deployment, tmp_path: Path) -> None:
    dep, nodes = deployment
    settings = {
        "num-server-rounds": 2000,
        "generator-steps": 1,
        "eval-every": 1,
        "eval-samples": 200,
        "min-nodes": 2,
        "output-dir": str(tmp_path / "out"),
    }
    thread = _in_background(dep, settings)
    try:
        _wait("round 3", lambda: any(r >= 3 for r, _ in _rounds(dep)), 300)
        dep.kill("node1")
        unavailable = "reply of partition 1 failed: Error: Node Unavailable"
        _wait("node 1 unavailable", lambda: unavailable in dep.log("flwr-run"), 180)
        dep.start_supernode("node1", node_config=nodes["node1"])
        _wait("a round with node 0 alone", lambda: any(c == 1 for _, c in _rounds(dep)), 120)
        alone = max(r for r, c in _rounds(dep) if c == 1)  # the run went on without node 1
        _wait(
            "node 1 back in a round",
            lambda: any(r > alone and c == 2 for r, c in _rounds(dep)),
            240,
        )
    finally:
        dep.stop_run()
        thread.join(timeout=300)
    # the rejoined node answered as partition 1: no reply was booked to an unknown partition
    assert "reply of partition -1" not in dep.log("flwr-run")


def test_the_superlink_killed_mid_run_resumes_from_its_checkpoint(
    deployment, tmp_path: Path
) -> None:
    dep, _ = deployment
    out = tmp_path / "out"
    settings = {
        # Each round starts a ClientApp process per node (deployment mode): few rounds.
        "num-server-rounds": 6,
        "generator-steps": 5,
        "eval-every": 2,
        "eval-samples": 300,
        "min-nodes": 2,
        "output-dir": str(out),
    }
    thread = _in_background(dep, settings)
    _wait("round 2", lambda: any(r >= 2 for r, _ in _rounds(dep)), 300)
    dep.kill("superlink")
    thread.join(timeout=120)
    assert not (out / "metrics.csv").exists()  # nothing half-written
    dep.start_superlink()  # same database: the registered SuperNodes reconnect
    status = dep.run(settings | {"resume": True}, timeout=600)
    assert status == "finished:completed", dep.log("flwr-run")[-3000:]
    metrics = pd.read_csv(out / "metrics.csv")
    assert sorted(metrics["round"].unique()) == [0, 2, 4, 6]
    # the second run started after the checkpoint: its first round line is past round 2
    assert min(r for r, _ in _rounds(dep)) > 2, dep.log("flwr-run")[-2000:]
