"""Named scenarios: a dataset, its group structure and its federated split."""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any, Literal

from fedgan._checks import FieldError
from fedgan.choices import one_of
from fedgan.data._custom import custom_scenario
from fedgan.data._mixtures import grid_means, mixture_scenario, ring_means
from fedgan.data._real import arrests_scenario, digits_scenario
from fedgan.data._scenario import Conditioning, Scenario

__all__ = ["SCENARIOS", "PartitionScheme", "ScenarioSpec", "load_scenario", "scenario_spec"]

DatasetName = Literal["ring8", "grid25", "digits", "arrests", "custom"]


class PartitionScheme(enum.StrEnum):
    """How rows are split over clients."""

    IID = "iid"
    DIRICHLET = "dirichlet"
    PATHOLOGICAL = "pathological"
    QUANTITY = "quantity"
    MINORITY = "minority"


@dataclass(frozen=True)
class ScenarioSpec:
    """Everything that defines a scenario; every field can be overridden.

    Attributes
    ----------
    dataset : {"ring8", "grid25", "digits", "arrests"}
        Data source.
    partitioner : PartitionScheme
        Federated split.
    num_partitions : int
        Number of clients.
    alpha : float
        Dirichlet concentration (dirichlet, quantity, and the majority rows of minority).
    partition_by : {"mode", "group", "label"}
        Column the Dirichlet and pathological splits act on.
    classes_per_partition : int
        Pathological split: values of ``partition_by`` per client.
    minority_modes : tuple of int
        Modes (mixtures) or classes (digits) forming group 1.
    minority_share : float or None
        Mass of group 1 in (0, 1); ``None`` keeps the natural share.
    minority_partitions : int
        Clients holding all minority rows (minority split).
    conditioning : Conditioning
        What models condition on.
    sensitive : {"colour", "sex"}
        Arrests: the group attribute.
    num_samples : int
        Mixtures: rows drawn.
    min_partition_size : int
        Every client gets at least this many rows.
    seed : int
        Seed of the data and of the split.
    source : str
        ``"package.module:NAME"`` of a :class:`~fedgan.data.CustomScenario` (dataset ``custom``).
    holdout : float
        Tables: share of each group's rows set aside for testing before the split.
    """

    dataset: DatasetName
    partitioner: PartitionScheme = PartitionScheme.DIRICHLET
    num_partitions: int = 10
    alpha: float = 0.3
    partition_by: Literal["mode", "group", "label"] = "mode"
    classes_per_partition: int = 2
    minority_modes: tuple[int, ...] = ()
    minority_share: float | None = None
    minority_partitions: int = 2
    conditioning: Conditioning = Conditioning.NONE
    sensitive: Literal["colour", "sex"] = "colour"
    num_samples: int = 20_000
    min_partition_size: int = 10
    seed: int = 0
    source: str = ""
    holdout: float = 0.2

    def __post_init__(self) -> None:
        if (self.dataset == "custom") != bool(self.source):
            raise FieldError(
                "source", "names the CustomScenario of dataset 'custom', and only of it"
            )
        if self.dataset not in ("ring8", "grid25", "digits", "arrests", "custom"):
            raise FieldError(
                "dataset", f"must be ring8, grid25, digits, arrests or custom, got {self.dataset!r}"
            )
        _enum(self, "partitioner", PartitionScheme)
        _enum(self, "conditioning", Conditioning)
        for name in (
            "num_partitions",
            "classes_per_partition",
            "minority_partitions",
            "num_samples",
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise FieldError(name, f"must be an integer >= 1, got {v!r}")
        if not self.alpha > 0 or not math.isfinite(self.alpha):
            raise FieldError("alpha", f"must be a finite number > 0, got {self.alpha!r}")
        if self.minority_share is not None and not 0 < self.minority_share < 1:
            raise FieldError("minority_share", f"must be in (0, 1), got {self.minority_share!r}")
        if self.minority_partitions > self.num_partitions:
            raise FieldError(
                "minority_partitions",
                f"({self.minority_partitions}) must not exceed the number of partitions "
                f"({self.num_partitions})",
            )
        if self.partition_by not in ("mode", "group", "label"):
            raise FieldError(
                "partition_by", f"must be mode, group or label, got {self.partition_by!r}"
            )
        if not 0 <= self.holdout <= 0.5:
            raise FieldError("holdout", f"must be a share in [0, 0.5], got {self.holdout!r}")
        if self.min_partition_size < 0:
            raise FieldError("min_partition_size", f"must be >= 0, got {self.min_partition_size}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise FieldError("seed", f"must be an integer >= 0, got {self.seed!r}")
        object.__setattr__(self, "minority_modes", tuple(int(m) for m in self.minority_modes))


def _enum(spec: ScenarioSpec, name: str, kind: type[enum.StrEnum]) -> None:
    value = getattr(spec, name)
    try:
        object.__setattr__(spec, name, kind(value))
    except ValueError:
        raise FieldError(name, one_of(value, tuple(k.value for k in kind))) from None


_GRID_DIAGONAL = (0, 6, 12, 18, 24)
_MIXTURES = ("ring8", "grid25")  # synthetic: their rows are drawn, so their count can be set


def _minority(dataset: DatasetName, partitions: int, holders: int, **more: Any) -> ScenarioSpec:
    """A minority split: the minority's rows on ``holders`` of ``partitions`` clients."""
    return ScenarioSpec(
        dataset,
        PartitionScheme.MINORITY,
        num_partitions=partitions,
        minority_partitions=holders,
        **more,
    )


_SHARE = {"minority_share": 0.05}  # the synthetic and digits minorities: 5% of the rows
_BY_GROUP = {"alpha": 1.0, "partition_by": "group"}  # tables: the groups split, Dirichlet 1

SCENARIOS: dict[str, ScenarioSpec] = {
    "ring8-iid": ScenarioSpec("ring8", PartitionScheme.IID, num_partitions=5),
    "ring8-minority": _minority("ring8", 5, 1, minority_modes=(0, 1), **_SHARE),
    "ring8-1000": _minority(
        "ring8", 1000, 10, minority_modes=(0, 1), alpha=1.0, num_samples=100_000, **_SHARE
    ),
    "grid25-iid": ScenarioSpec("grid25", PartitionScheme.IID),
    "grid25-dirichlet": ScenarioSpec("grid25", PartitionScheme.DIRICHLET, alpha=0.3),
    "grid25-minority": _minority("grid25", 10, 2, minority_modes=_GRID_DIAGONAL, **_SHARE),
    "digits-pathological": ScenarioSpec(
        "digits", PartitionScheme.PATHOLOGICAL, classes_per_partition=2, minority_modes=()
    ),
    "digits-minority": _minority("digits", 5, 1, alpha=0.5, minority_modes=(8, 9), **_SHARE),
    "arrests-colour": _minority("arrests", 5, 1, sensitive="colour", **_BY_GROUP),
    "arrests-sex": _minority("arrests", 5, 1, sensitive="sex", **_BY_GROUP),
}


def scenario_spec(name: str, **overrides: Any) -> ScenarioSpec:
    """The registered spec ``name`` with ``overrides`` applied and validated.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones) or a bad override.
    """
    fields = {f.name for f in dataclasses.fields(ScenarioSpec)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"unknown scenario field(s) {unknown}; allowed: {sorted(fields)}")
    if ":" in name:  # your own dataset: "package.module:NAME"
        custom = custom_scenario(name)
        base = ScenarioSpec("custom", num_partitions=custom.num_partitions, source=name)
        _check_rows_drawn(name, base, overrides)
        return dataclasses.replace(base, **overrides)
    if name not in SCENARIOS:
        raise ValueError(
            f"unknown scenario {name!r}; valid scenarios: {', '.join(sorted(SCENARIOS))} "
            "(or 'package.module:NAME' of a fedgan.data.CustomScenario)"
        )
    _check_rows_drawn(name, SCENARIOS[name], overrides)
    return dataclasses.replace(SCENARIOS[name], **overrides)


def _check_rows_drawn(name: str, base: ScenarioSpec, overrides: dict[str, Any]) -> None:
    """Only a synthetic mixture's row count can be changed: real and custom data's are fixed.

    A recorded spec passed back whole (``simulations.rescore``) repeats the value: allowed.
    """
    dataset = base.dataset
    if overrides.get("num_samples", base.num_samples) != base.num_samples and (
        dataset not in _MIXTURES
    ):
        raise FieldError(
            "num_samples",
            f"sets the rows drawn from a synthetic mixture "
            f"({', '.join(_MIXTURES)}); scenario {name!r} is {dataset} data, whose rows are fixed",
        )


def load_scenario(spec: ScenarioSpec | str, *, name: str | None = None) -> Scenario:
    """Build the data of a spec (or of a registered name with its defaults)."""
    if isinstance(spec, str):
        name, spec = spec, scenario_spec(spec)
    label = name or spec.dataset
    if spec.dataset in _MIXTURES:
        means, sd = (
            (ring_means(8, 2.0), 0.02) if spec.dataset == "ring8" else (grid_means(5, 2.0), 0.05)
        )
        diagonal = spec.dataset == "grid25" and spec.minority_modes == _GRID_DIAGONAL
        return mixture_scenario(
            label,
            means,
            sd=sd,
            minority_modes=spec.minority_modes,
            minority_share=spec.minority_share,
            num_samples=spec.num_samples,
            conditioning=spec.conditioning,
            seed=spec.seed,
            minority_name="minority (diagonal)" if diagonal else "",
        )
    if spec.dataset == "custom":
        return custom_scenario(spec.source).load(spec.seed)
    common: dict[str, Any] = {"conditioning": spec.conditioning, "seed": spec.seed}
    if spec.dataset == "digits":
        classes, share = spec.minority_modes, spec.minority_share
        return digits_scenario(label, minority_classes=classes, minority_share=share, **common)
    return arrests_scenario(label, sensitive=spec.sensitive, holdout=spec.holdout, **common)
