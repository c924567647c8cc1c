"""Scenarios with modes and groups, and their non-IID federated splits.

A :class:`Scenario` holds rows with their ``mode`` (mixture component or
class), ``group`` (fairness group) and conditioning ``label``, plus what
metrics need (mode means and sds, mode → group map, true weights). Named
scenarios live in :data:`SCENARIOS`; :func:`scenario_spec` applies overrides,
:func:`load_scenario` builds the data, :func:`partition_scenario` splits it
with flwr-datasets partitioners (or :class:`MinorityConcentratedPartitioner`).
No Flower import here; flwr-datasets is loaded only when splitting.
"""

from typing import TYPE_CHECKING, Any

from fedgan.data._custom import CustomScenario
from fedgan.data._mixtures import grid_means, ring_means
from fedgan.data._owner import OwnerFileError, feature_columns, read_owner_file, write_owner_file
from fedgan.data._partition import format_partition_summary, partition_scenario, partition_summary
from fedgan.data._real import TabularEncoder, table_scenario
from fedgan.data._registry import (
    SCENARIOS,
    PartitionScheme,
    ScenarioSpec,
    load_scenario,
    scenario_spec,
)
from fedgan.data._scenario import Conditioning, Scenario

if TYPE_CHECKING:
    from fedgan.data._minority import MinorityConcentratedPartitioner

__all__ = [
    "SCENARIOS",
    "Conditioning",
    "CustomScenario",
    "MinorityConcentratedPartitioner",
    "OwnerFileError",
    "PartitionScheme",
    "Scenario",
    "ScenarioSpec",
    "TabularEncoder",
    "feature_columns",
    "format_partition_summary",
    "grid_means",
    "load_scenario",
    "partition_scenario",
    "partition_summary",
    "read_owner_file",
    "ring_means",
    "scenario_spec",
    "table_scenario",
    "write_owner_file",
]


def __getattr__(name: str) -> Any:
    # flwr-datasets takes seconds to import: load the partitioner class on first use.
    if name == "MinorityConcentratedPartitioner":
        from fedgan.data._minority import MinorityConcentratedPartitioner

        return MinorityConcentratedPartitioner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
