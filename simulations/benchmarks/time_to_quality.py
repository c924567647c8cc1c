"""Benchmark: wall time and generator steps until a run first meets the quality target.

The target (``target-hq``, default 0.9): every mode held, high-quality share ≥ 90%, every
group's mass within [0.8, 1.25] of its real share. Three runs of the same settings:
centralised (one WGAN-GP on the pooled rows), the federation in one process (clients one
after another, no Flower), and the federation through ``flwr run`` (clients in parallel,
one CPU each). The ratio of the last two is what Flower costs.

    python -m simulations.benchmarks.time_to_quality [--run-config 'seed=1'] [--num-supernodes 5]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from fedgan.config import RunConfig
from simulations._cli import parse_run_config, render_run_config


def _summary(out: Path, wall: float, steps_per_round: int) -> dict[str, Any]:
    facts = json.loads((out / "verdict.json").read_text())
    timing = pd.read_csv(out / "timing.csv").set_index("round")["seconds"]
    met = facts.get("first_round_target_met")
    return {
        "learned": facts["learned"],
        "first round target met": met,
        "generator steps to target": None if met is None else met * steps_per_round,
        "seconds to target (after start-up)": None
        if met is None
        else round(float(timing.loc[met]), 1),
        "start-up s": round(wall - float(timing.iloc[-1]), 1),
        "total wall s": round(wall, 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the three and print one row each."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--run-config", default="")
    ap.add_argument("--num-supernodes", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    values = parse_run_config(args.run_config)
    config = RunConfig.from_mapping(values)
    base = args.out or Path(tempfile.mkdtemp(prefix="fedgan-ttq-"))
    rows = {}
    from simulations.centralised import run_centralised
    from simulations.flower import run_flower
    from simulations.inprocess import main as inprocess

    for name in ("centralised", "in process", "flwr run"):
        out = base / name.replace(" ", "-")
        settings = values | {"output-dir": str(out)}
        start = time.perf_counter()
        if name == "centralised":
            run_centralised(RunConfig.from_mapping(settings), verbose=False)
        elif name == "in process":
            inprocess(
                [
                    "--num-partitions",
                    str(args.num_supernodes),
                    "--run-config",
                    render_run_config(settings),
                ]
            )
        elif run_flower(run_config=settings, num_supernodes=args.num_supernodes, stream=False) != 0:
            raise RuntimeError(f"flwr run failed; see {out}")
        rows[name] = _summary(out, time.perf_counter() - start, config.generator_steps)
    table = pd.DataFrame(rows).T
    print(table.to_markdown())
    fl, ip = rows["flwr run"]["total wall s"], rows["in process"]["total wall s"]
    print(f"\nflwr run / in process (total wall): {fl / ip:.2f}x; results in {base}")


if __name__ == "__main__":
    main()
