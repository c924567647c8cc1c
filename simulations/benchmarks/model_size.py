"""Benchmark: how the generator and each round's messages grow with the number of clients.

    python -m simulations.benchmarks.model_size [--scenario ring8-minority] [--clients 5 10 100 1000]

For every federation design and client count it builds the run's models (as the server
does) and prints the generator's and critic's parameter counts and the bytes one client
receives and sends in a round (float32 arrays, as packed for Flower; Flower's framing
adds a little). Nothing is trained; the figures follow from the architectures.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

import numpy as np
import torch

from fedgan.config import RunConfig
from fedgan.data import load_scenario
from fedgan.federation import DESIGNS, make_models

__all__ = ["main"]


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _bytes(arrays: Mapping[str, np.ndarray]) -> int:
    return sum(int(a.nbytes) for a in arrays.values())


def main(argv: list[str] | None = None) -> None:
    """Print one markdown row per design × client count."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scenario", default="ring8-minority")
    ap.add_argument("--clients", type=int, nargs="+", default=[5, 10, 100, 1000])
    args = ap.parse_args(argv)
    scenario = load_scenario(args.scenario)
    print(
        "| design | clients | generator parameters | critic parameters "
        "| bytes to a client per round | bytes from a client per round |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, design in DESIGNS.items():
        config = RunConfig(federation=name, scenario=args.scenario)
        # what a client holds and sends does not depend on the federation's size
        local_gen, local_critic = make_models(config, scenario, design, num_partitions=1)
        up = _bytes(design.upload(local_gen, local_critic))
        for k in args.clients:
            gen, critic = make_models(config, scenario, design, num_partitions=k)
            down = _bytes(design.download(gen, critic))
            print(
                f"| {name} | {k:,} | {_params(gen):,} | {_params(critic):,} | {down:,} | {up:,} |"
            )


if __name__ == "__main__":
    main()
