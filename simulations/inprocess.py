"""The federation's work in one process, no Flower: clients one after another.

    python -m simulations.inprocess [--num-partitions 5] [--workers 2] --run-config 'seed=1'

The same client and server code as the Flower apps (:func:`fedgan.federation.run_in_process`),
so with the same seed it writes the same files as ``flwr run``; what differs is the
wall time, which is how docs/performance.md measures Flower's overhead.
"""

from __future__ import annotations

import argparse

from fedgan.config import RunConfig
from fedgan.console import PREFIX
from fedgan.federation import clear_checkpoints, run_in_process
from fedgan.results import check_writable, read_reference, write_run
from fedgan.training import use_cpus
from simulations._cli import add_cpus_option, add_workers_option, parse_run_config

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--num-partitions", type=int, default=None)
    ap.add_argument("--run-config", default="", help="TOML key=value pairs, space-separated")
    add_cpus_option(ap)
    add_workers_option(ap)
    args = ap.parse_args(argv)
    use_cpus(args.num_cpus)
    config = RunConfig.from_mapping(parse_run_config(args.run_config))
    check_writable(config.output_path)
    reference = read_reference(config)  # a missing reference stops the run before any work
    run = run_in_process(
        config,
        num_partitions=args.num_partitions,
        workers=args.workers,
        on_round=lambda run, line: run.print_round(line),
    )
    files = run.files(mode="federated", reference=reference)
    out = write_run(config.output_path, files)
    clear_checkpoints(config)
    print(
        f"\n{files.verdict.text()}\n{PREFIX} results written to {out.resolve()} ({run.elapsed:.0f} s)"
    )


if __name__ == "__main__":
    main()
