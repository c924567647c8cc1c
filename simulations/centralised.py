"""Centralised reference: one WGAN-GP on the pooled data, scored like a federated run.

    python -m simulations.centralised --run-config 'scenario="grid25-minority" seed=1'

Same run config, same training code (a federation of one client that holds every row,
with the private-critics design, i.e. plain WGAN-GP), the same number of generator
steps (``num-server-rounds`` × ``generator-steps``, evaluated after each block) and the
same files as a federated run.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fedgan.config import RunConfig
from fedgan.console import PREFIX
from fedgan.federation import FederatedRun, RoundLine, clear_checkpoints, run_in_process
from fedgan.results import config_fingerprint, write_run
from fedgan.training import use_cpus
from simulations._cli import add_cpus_option, parse_run_config

__all__ = ["ensure_reference", "reference_config", "run_centralised"]

ROOT = Path(__file__).resolve().parent.parent
# Keys that shape a federation but not a centralised run: reset for the reference.
_FEDERATION_ONLY = (
    "federation",
    "aggregation",
    "beta",
    "target-share",
    "source-layers",
    "fraction-train",
    "min-nodes",
    "num-partitions",
    "dp",
    "noise-multiplier",
    "target-epsilon",
    "delta",
    "max-grad-norm",
    "epsilon-budget",
    "reference-dir",
    "output-dir",
    "device",
)


def _printer(run: FederatedRun, line: RoundLine) -> None:
    run.print_round(line, label="[centralised]", clients=False)


def run_centralised(config: RunConfig, *, verbose: bool = True) -> Path:
    """Train on all rows at once and write results to ``config.output_dir``."""
    plain = dataclasses.replace(config, federation="private-critics", dp="off")
    run = run_in_process(plain, pooled=True, on_round=_printer if verbose else None)
    files = run.files(mode="centralised")
    out = write_run(config.output_path, files)
    clear_checkpoints(config)
    if verbose:
        print(f"\n{files.verdict.text()}\n[centralised] results written to {out.resolve()}")
    return out


def reference_config(values: Mapping[str, Any]) -> dict[str, Any]:
    """The centralised reference's run config for a federated run's values."""
    return {k: v for k, v in values.items() if k not in _FEDERATION_ONLY}


def ensure_reference(
    values: Mapping[str, Any], *, root: Path = ROOT / "outputs" / "reference"
) -> Path:
    """The reference's folder for ``values``: reused when its fingerprint matches, else run."""
    ref = reference_config(values)
    settings = RunConfig.from_mapping(ref).to_mapping()
    fp = config_fingerprint({k: v for k, v in settings.items() if k not in _FEDERATION_ONLY})
    out = root / fp
    if not (out / "metrics.csv").is_file():
        print(
            f"{PREFIX} centralised reference for the verdict (once for these settings) -> {out}",
            flush=True,
        )
        run_centralised(RunConfig.from_mapping(ref | {"output-dir": str(out)}), verbose=False)
    return out


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--run-config", default="", help="TOML key=value pairs, space-separated")
    add_cpus_option(ap)
    args = ap.parse_args(argv)
    use_cpus(args.num_cpus)
    run_centralised(RunConfig.from_mapping(parse_run_config(args.run_config)))


if __name__ == "__main__":
    main()
