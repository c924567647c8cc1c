"""A finished run in seconds: tiny models, two rounds, in process or centralised."""

from __future__ import annotations

import json
from pathlib import Path

from simulations.centralised import main as centralised
from simulations.inprocess import main as inprocess

TINY = {
    "num-server-rounds": 2,
    "generator-steps": 2,
    "batch-size": 32,
    "eval-samples": 300,
    "hidden": 16,
}


def tiny_run(
    folder: Path, extra: dict[str, object], *, partitions: int = 3, pooled: bool = False
) -> Path:
    """Run ``TINY | extra`` into ``folder`` (federated over ``partitions``, or pooled)."""
    text = " ".join(
        f"{k}={json.dumps(v)}" for k, v in (TINY | extra | {"output-dir": str(folder)}).items()
    )
    if pooled:
        centralised(["--num-cpus", "1", "--run-config", text])
    else:
        inprocess(["--num-cpus", "1", "--num-partitions", str(partitions), "--run-config", text])
    return folder
