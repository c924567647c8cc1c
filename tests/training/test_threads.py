"""Thread pools sized to the CPUs a process was given."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from threadpoolctl import threadpool_info

from fedgan.training import available_cpus, use_cpus


def test_use_cpus_sets_torch_and_blas_pools() -> None:
    before = torch.get_num_threads()
    try:
        assert use_cpus(1) == 1
        assert torch.get_num_threads() == 1
        pools = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        assert pools and set(pools) == {1}
    finally:
        torch.set_num_threads(before)


def test_available_cpus_reads_omp_num_threads_then_affinity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert available_cpus() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "zero")
    assert available_cpus() == len(os.sched_getaffinity(0))


def test_zero_cpus_is_refused() -> None:
    with pytest.raises(ValueError, match="cpus must be >= 1"):
        use_cpus(0)


@pytest.mark.parametrize(
    "module", ["simulations.inprocess", "simulations.centralised", "simulations.run"]
)
def test_the_clis_refuse_zero_cpus_before_any_work(module: str) -> None:
    extra = ["any.toml"] if module == "simulations.run" else []  # its one positional argument
    out = subprocess.run(
        [sys.executable, "-m", module, *extra, "--num-cpus", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "--num-cpus: must be >= 1, got 0" in out.stderr
