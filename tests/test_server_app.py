"""The ServerApp process stays fork-safe while Flower starts Ray beside it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

# A thread busy in BLAS while the main thread forks with a preexec_fn (as Ray's
# process launcher does): with multi-threaded OpenBLAS this deadlocks for good.
_STRESS = textwrap.dedent(
    """
    import subprocess, sys, threading
    import numpy as np
    if sys.argv[1] == "limited":
        from fedgan.server_app import _fork_safe_blas
        _fork_safe_blas()
        from threadpoolctl import threadpool_info
        blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        assert blas and set(blas) == {1}, blas
    def work():
        a, b = np.random.rand(2500, 2), np.random.rand(1500, 2)
        while True:
            d = a @ b.T
    threading.Thread(target=work, daemon=True).start()
    for _ in range(200):
        subprocess.Popen(["true"], preexec_fn=lambda: None).wait()
    print("done")
    """
)


def test_evaluation_beside_a_fork_does_not_deadlock() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _STRESS, "limited"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"


def test_the_server_refuses_an_impossible_split_before_waiting_for_nodes(tmp_path: Path) -> None:
    from fedgan.server_app import main

    context = SimpleNamespace(
        run_config={"num-partitions": 5000, "output-dir": str(tmp_path / "out")}
    )

    class NoGrid:  # any use of the grid would mean the server went on to wait for nodes
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"the grid was used ({name}) before the split was checked")

    with pytest.raises(ValueError, match="cannot be split over 5000 clients") as err:
        main(NoGrid(), context)  # type: ignore[arg-type]
    assert "minority-partitions" in str(err.value)
    assert not (tmp_path / "out").exists()
