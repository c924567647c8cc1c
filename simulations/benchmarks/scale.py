"""Benchmark: many clients through ``flwr run`` — handshake, round time, peak memory.

``ring8-1000`` (100,000 rows over 1,000 clients, the minority on 10 of them), run with 10,
100 and 1,000 SuperNodes and the same 10 clients sampled per round, so the round's work is
the same and only the federation's size grows. Memory is the resident set of every process
of the run (SuperLink, SuperExec, simulation, Ray workers), summed, sampled twice a second.

    python -m simulations.benchmarks.scale [--clients 10 100 1000] [--rounds 20]

The design is the run config's default (the shared generator) unless ``--generator-steps``
or ``--source-layers`` say otherwise; the round time printed is the median of the rounds
after the first.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from simulations._processes import children, pids_matching
from simulations.flower import run_flower


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class _PeakMemory(threading.Thread):
    """Samples the summed RSS of the processes whose command line holds ``marker``."""

    def __init__(self, marker: str) -> None:
        super().__init__(daemon=True)
        self.marker, self.peak, self.done = marker, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.peak = max(self.peak, _rss_mb(children(pids_matching(self.marker))))


def main(argv: list[str] | None = None) -> None:
    """Run each federation size and print a row per size."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--sampled", type=int, default=10, help="clients trained per round")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--generator-steps", type=int, default=None, help="default: the run config's")
    ap.add_argument("--source-layers", type=int, default=None, help="default: the run config's")
    args = ap.parse_args(argv)
    rows = []
    for k in args.clients:
        work = Path(tempfile.mkdtemp(prefix=f"fedgan-scale-{k}-"))
        out = work / "out"
        settings = {
            "scenario": "ring8-1000",
            "num-partitions": k,
            "fraction-train": args.sampled / k,
            "min-nodes": min(k, args.sampled),
            "num-server-rounds": args.rounds,
            "eval-samples": 1000,
            "output-dir": str(out),
        }
        for key, value in (
            ("generator-steps", args.generator_steps),
            ("source-layers", args.source_layers),
        ):
            if value is not None:
                settings[key] = value
        if k != 1000:
            settings["minority-partitions"] = max(1, k // 100)
        monitor = _PeakMemory(str(work / "flwr"))
        monitor.start()
        start = time.perf_counter()
        rc = run_flower(
            run_config=settings, num_supernodes=k, stream=False, home=work / "flwr", timeout=3600
        )
        wall = time.perf_counter() - start
        monitor.done.set()
        monitor.join()
        if rc != 0:
            rows.append({"clients": k, "status": f"failed (exit {rc}); log in {work / 'flwr'}"})
            continue
        timing = pd.read_csv(out / "timing.csv")["seconds"].to_numpy()
        rows.append(
            {
                "clients": k,
                "sampled per round": args.sampled,
                "rounds": args.rounds,
                "start-up + handshake s": round(wall - timing[-1], 1),
                "first round s": round(float(timing[0]), 2),
                "median round s": round(float(np.median(np.diff(timing))), 3),
                "peak RSS, all processes (MB)": round(monitor.peak),
                "status": "completed",
            }
        )
        print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
