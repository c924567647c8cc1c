"""Federated splits of a scenario with flwr-datasets partitioners, and their summary."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fedgan.data._custom import custom_scenario
from fedgan.data._registry import PartitionScheme, ScenarioSpec
from fedgan.data._scenario import Scenario

__all__ = ["format_partition_summary", "partition_scenario", "partition_summary"]


def _dataset(scenario: Scenario) -> Any:
    import datasets

    return datasets.Dataset.from_dict({"row": np.arange(len(scenario.x)), **scenario.columns()})


def _quantity_sizes(n: int, spec: ScenarioSpec) -> list[int]:
    rng = np.random.default_rng(spec.seed)
    k, floor = spec.num_partitions, spec.min_partition_size
    if floor * k > n:
        raise ValueError(f"min_partition_size={floor} × {k} partitions exceeds the {n} rows")
    extra = rng.multinomial(n - floor * k, rng.dirichlet(np.full(k, spec.alpha)))
    return [int(s) for s in extra + floor]


def partition_scenario(scenario: Scenario, spec: ScenarioSpec) -> list[np.ndarray]:
    """Split ``scenario`` over ``spec.num_partitions`` clients.

    Parameters
    ----------
    scenario : Scenario
        The data (built from ``spec``).
    spec : ScenarioSpec
        Partition scheme, number of clients, α, minority clients, seed.

    Returns
    -------
    list of np.ndarray
        Sorted row indices of each client; deterministic for a given seed.

    Raises
    ------
    ValueError
        If a client would get fewer than ``spec.min_partition_size`` rows.
    """
    from flwr_datasets import partitioner as fp

    from fedgan.data._minority import MinorityConcentratedPartitioner

    ds = _dataset(scenario)
    k, scheme, by = spec.num_partitions, spec.partitioner, spec.partition_by
    if len(ds) < k:
        raise ValueError(f"num_partitions={k} exceeds the {len(ds)} rows of {scenario.name}")
    part: fp.Partitioner
    own = custom_scenario(spec.source).partitioner if spec.source else None
    if own is not None:  # your own flwr-datasets partitioner
        part = own(k, spec.seed)
        if not isinstance(part, fp.Partitioner):
            raise ValueError(
                f"the partitioner of {spec.source} returned a {type(part).__name__}, not a Partitioner"
            )
    elif scheme is PartitionScheme.IID:
        ds = ds.shuffle(seed=spec.seed)
        part = fp.IidPartitioner(num_partitions=k)
    elif scheme is PartitionScheme.QUANTITY:
        ds = ds.shuffle(seed=spec.seed)
        part = fp.SizePartitioner(partition_sizes=_quantity_sizes(len(ds), spec))
    elif scheme is PartitionScheme.DIRICHLET:
        part = fp.DirichletPartitioner(
            num_partitions=k,
            partition_by=by,
            alpha=spec.alpha,
            min_partition_size=spec.min_partition_size,
            self_balancing=False,
            seed=spec.seed,
        )
    elif scheme is PartitionScheme.PATHOLOGICAL:
        part = fp.PathologicalPartitioner(
            num_partitions=k,
            partition_by=by,
            num_classes_per_partition=spec.classes_per_partition,
            class_assignment_mode="first-deterministic",
            seed=spec.seed,
        )
    else:
        if scenario.num_groups < 2:
            raise ValueError(
                f"the minority partitioner needs a minority group; {scenario.name} has one group"
            )
        part = MinorityConcentratedPartitioner(
            num_partitions=k,
            partition_by="group",
            minority_groups=range(1, scenario.num_groups),
            minority_partitions=spec.minority_partitions,
            alpha=spec.alpha,
            dirichlet_by=by,
            min_partition_size=spec.min_partition_size,
            seed=spec.seed,
        )
    part.dataset = ds
    try:
        parts = [
            np.sort(np.asarray(part.load_partition(i)["row"], dtype=np.int64)) for i in range(k)
        ]
    except ValueError as err:  # flwr-datasets' own message for an unmet minimum
        raise ValueError(f"partitioning {scenario.name} ({scheme.value}) failed: {err}") from err
    small = [i for i, p in enumerate(parts) if len(p) < spec.min_partition_size]
    if small:
        raise ValueError(
            f"min_partition_size={spec.min_partition_size} not met by partition(s) {small} "
            f"({scheme.value}, alpha={spec.alpha}); lower it or change the split"
        )
    return parts


def partition_summary(scenario: Scenario, parts: list[np.ndarray]) -> pd.DataFrame:
    """Client × group and client × mode counts.

    Returns
    -------
    pandas.DataFrame
        One row per client; columns ``rows``, ``group/<g>`` and ``mode/<m>``.
    """
    rows = []
    for cid, idx in enumerate(parts):
        g = np.bincount(scenario.group[idx], minlength=scenario.num_groups)
        m = np.bincount(scenario.mode[idx], minlength=scenario.num_modes)
        rows.append(
            {"client": cid, "rows": len(idx)}
            | {f"group/{i}": int(v) for i, v in enumerate(g)}
            | {f"mode/{i}": int(v) for i, v in enumerate(m)}
        )
    return pd.DataFrame(rows).set_index("client")


def format_partition_summary(summary: pd.DataFrame) -> str:
    """Short text for logs: rows, group counts and the number of modes each client holds."""
    modes = summary.filter(like="mode/")
    view = summary[["rows", *summary.filter(like="group/").columns]].copy()
    view["modes_held"] = (modes > 0).sum(axis=1)
    return view.to_string()
