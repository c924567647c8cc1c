"""Run-config keys that are fine alone but not together: refused before any work."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from fedgan._coerce import check, renamed
from fedgan.data import ScenarioSpec

if TYPE_CHECKING:
    from fedgan.config import RunConfig

__all__ = ["check_combinations"]


def check_combinations(config: RunConfig, spec: ScenarioSpec) -> None:
    """Raise a ``RunConfigError`` naming the key of the first combination refused."""
    design = config.design
    check(
        not config.tensorboard or importlib.util.find_spec("tensorboard") is not None,
        "tensorboard",
        "is true but the tensorboard package is not installed: "
        "pip install 'fedgan[tensorboard]', or set it to false",
    )
    check(
        not (design.per_source and spec.conditioning.value != "none"),
        "conditioning",
        f"must be 'none' with federation = {config.federation!r}: its sources already "
        f"carry the group; got {spec.conditioning.value!r}",
    )
    check(
        not (config.dp == "generator-gradient" and design.critic_leaves_client),
        "federation",
        f"must not be {config.federation!r} with dp = 'generator-gradient': that design sends "
        "the critic off the client, so the critic itself must be private (dp = 'critic')",
    )
    check(
        config.aggregation != "group-dro" or config.dro_step > 0,
        "dro_step",
        f"must be > 0 with aggregation = 'group-dro' (its step per round), got {config.dro_step}",
    )
    with renamed():  # the penalty schedule honours or refuses each option under DP itself
        config.train.penalty_schedule(private=config.dp == "critic")
    check(
        config.model == "mlp" or spec.dataset == "digits",
        "model",
        f"'conv' needs image data (a digits scenario); {config.scenario!r} is {spec.dataset}",
    )
    check(
        config.model == "mlp" or not (design.owns_layers and config.source_layers),
        "source_layers",
        "must be 0 with model = 'conv' (only MLP layers can be per source)",
    )
