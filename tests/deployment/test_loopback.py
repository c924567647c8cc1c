"""A real SuperLink and SuperNodes on loopback: TLS, SuperNode authentication, own data files.

One deployment for the module: a SuperLink with TLS and ``--enable-supernode-auth``, two
registered SuperNodes reading their own CSV files, a SuperNode whose key was never
registered, and a registered SuperNode that does not trust the SuperLink's CA. Every
process is stopped when the module ends, also when a test fails.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from fedgan.config import RunConfig
from fedgan.data import write_owner_file
from fedgan.federation import load_split
from simulations._processes import pids_matching
from simulations.deploy import CONNECTION, LocalDeployment
from simulations.deploy._certs import make_ca

pytestmark = pytest.mark.slow


def _wait_exit(proc: subprocess.Popen[bytes], timeout: float = 120.0) -> int | None:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    return proc.poll()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    work = tmp_path_factory.mktemp("deploy")
    cfg = RunConfig()
    scenario, parts = load_split(cfg.scenario_spec(2), cfg.scenario)
    dep = LocalDeployment(work)
    try:
        dep.start_superlink()
        for k in range(2):
            dep.register(f"node{k}")
            rows = write_owner_file(work / "data" / f"node{k}.csv", scenario, parts[k])
            dep.start_supernode(
                f"node{k}",
                node_config={"partition-id": k, "num-partitions": 2, "data-path": str(rows)},
            )
        dep.node_keys("rogue")  # a key pair nobody registered
        dep.start_supernode(
            "rogue", node_config={"partition-id": 0, "num-partitions": 2}, retries=2
        )
        dep.register("no-ca")
        _, other_ca = make_ca(work / "other-ca", name="someone else's CA")
        dep.start_supernode(
            "no-ca", node_config={"partition-id": 1, "num-partitions": 2}, ca=other_ca, retries=2
        )
        yield dep
    finally:
        dep.stop()
        assert not pids_matching(str(work)), "a process of the deployment outlived it"


def test_tls_authenticated_federation_completes(deployment: LocalDeployment) -> None:
    out = deployment.workdir / "results"
    status = deployment.run(
        {
            "num-server-rounds": 2,
            "generator-steps": 5,
            "eval-samples": 400,
            "min-nodes": 2,
            "eval-every": 1,
            "output-dir": str(out),
        },
        timeout=400,
    )
    assert status == "finished:completed", deployment.log("flwr-run")[-3000:]
    metrics = pd.read_csv(out / "metrics.csv")
    assert sorted(metrics["round"].unique()) == [0, 1, 2]
    assert np.isfinite(metrics[["hq_fraction", "generated_share", "coverage"]].to_numpy()).all()
    assert sorted(pd.read_csv(out / "nodes.csv")["partition_id"]) == [
        0,
        1,
    ]  # only the registered two
    weights = pd.read_csv(out / "weights.csv")
    assert weights.groupby("round").size().tolist() == [2, 2]


def test_unregistered_supernode_is_refused(deployment: LocalDeployment) -> None:
    assert _wait_exit(deployment.processes["rogue"]) not in (None, 0)
    assert "Failed to activate SuperNode" in deployment.log("rogue")
    listed = subprocess.run(
        ["flwr", "supernode", "list", CONNECTION, "--format", "json"],
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    nodes = json.loads(listed.stdout)["nodes"]
    assert len(nodes) == 3  # node0, node1 and no-ca: the rogue key was never admitted


def test_supernode_without_the_ca_cannot_connect(deployment: LocalDeployment) -> None:
    assert _wait_exit(deployment.processes["no-ca"]) not in (None, 0)
    assert "CERTIFICATE_VERIFY_FAILED" in deployment.log("no-ca")
