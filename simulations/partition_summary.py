"""Print a scenario's federated split: rows, group counts and modes per client.

python -m simulations.partition_summary grid25-minority [--num-partitions 10] [--seed 0]
"""

from __future__ import annotations

import argparse

from fedgan.data import (
    SCENARIOS,
    format_partition_summary,
    load_scenario,
    partition_scenario,
    partition_summary,
    scenario_spec,
)


def main(argv: list[str] | None = None) -> None:
    """Build the scenario, split it and print the summary."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--num-partitions", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    over: dict[str, int] = {"seed": args.seed}
    if args.num_partitions:
        over["num_partitions"] = args.num_partitions
    spec = scenario_spec(args.scenario, **over)
    scenario = load_scenario(spec, name=args.scenario)
    parts = partition_scenario(scenario, spec)
    print(
        f"{args.scenario}: {len(scenario.x)} rows, {scenario.num_modes} modes, {scenario.num_groups} groups, "
        f"{spec.partitioner.value} split over {spec.num_partitions} clients (alpha={spec.alpha}, seed={spec.seed})"
    )
    print(format_partition_summary(partition_summary(scenario, parts)))


if __name__ == "__main__":
    main()
