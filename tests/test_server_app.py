"""The ServerApp process stays fork-safe while Flower starts Ray beside it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
