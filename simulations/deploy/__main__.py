"""``python -m simulations.deploy``: the loopback deployment, end to end."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from fedgan.config import RunConfig
from fedgan.console import PREFIX
from fedgan.data import write_owner_file
from fedgan.federation import load_split
from simulations._cli import parse_run_config
from simulations.deploy import LocalDeployment

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    """Stand up the deployment, run fedgan through it, stop everything."""
    import simulations.deploy as pkg

    ap = argparse.ArgumentParser(
        description=pkg.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--supernodes", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "outputs" / "deployment")
    ap.add_argument(
        "--workdir", type=Path, default=None, help="credentials, logs (default: a temp folder)"
    )
    ap.add_argument(
        "--run-config", default="", help="more run-config keys, e.g. 'generator-steps=20'"
    )
    args = ap.parse_args(argv)
    if args.supernodes < 1:
        ap.error(f"--supernodes must be >= 1, got {args.supernodes}")
    values = {
        "num-server-rounds": args.rounds,
        "min-nodes": args.supernodes,
        "output-dir": str(args.out.resolve()),
    } | parse_run_config(args.run_config)
    config = RunConfig.from_mapping(values)  # refused here, before any process starts
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fedgan-deploy-"))
    scenario, parts = load_split(config.scenario_spec(args.supernodes), config.scenario)
    with LocalDeployment(workdir) as dep:
        dep.start_superlink()
        print(f"{PREFIX} SuperLink with TLS and SuperNode authentication on 127.0.0.1:{dep.port}")
        for k in range(args.supernodes):
            dep.register(f"supernode-{k}")
            rows = write_owner_file(workdir / "data" / f"supernode-{k}.csv", scenario, parts[k])
            dep.start_supernode(
                f"supernode-{k}",
                node_config={
                    "partition-id": k,
                    "num-partitions": args.supernodes,
                    "data-path": str(rows),
                },
            )
            print(f"{PREFIX} SuperNode {k} registered and started, reading {rows}")
        status = dep.run(values)
    print(f"{PREFIX} run status: {status}; logs in {workdir / 'logs'}")
    if status != "finished:completed":
        sys.exit(1)
    print((args.out / "verdict.txt").read_text())
    if args.workdir is None:
        shutil.rmtree(workdir / "keys", ignore_errors=True)  # throw-away credentials go


if __name__ == "__main__":
    main()
