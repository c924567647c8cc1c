"""Build a run's models and a client's data the same way on every side."""

from __future__ import annotations

import functools

import numpy as np
import torch

from fedgan.config import RunConfig
from fedgan.data import Scenario, ScenarioSpec, load_scenario, partition_scenario
from fedgan.federation._designs import FederationDesign
from fedgan.models import Critic, Generator, build_models
from fedgan.training import ClientData

__all__ = ["client_data", "load_scenario_once", "load_split", "make_models", "round_seed"]


def round_seed(seed: int, server_round: int, partition_id: int) -> int:
    """A distinct, reproducible seed per (run seed, round, client)."""
    return (seed * 1_000_003 + server_round * 10_007 + partition_id) % (2**31 - 1)


def make_models(
    config: RunConfig, scenario: Scenario, design: FederationDesign, *, num_partitions: int
) -> tuple[Generator, Critic]:
    """The generator and critic of a run, initialised from the run seed.

    The server builds the federation's generator (``num_partitions`` clients); a client
    builds its local view (``num_partitions=1``: its own sources only).
    """
    image = config.model == "conv" and scenario.image_shape is not None
    shape = scenario.image_shape if image and scenario.image_shape else (scenario.data_dim,)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        generator, critic = build_models(
            tuple(shape), kind=config.model, num_labels=scenario.num_labels,
            critic_labels=design.critic_label_count(scenario),
            num_sources=design.num_sources(scenario.num_groups, num_partitions),
            source_layers=config.source_layers if design.per_source else 0,
            latent_dim=config.latent_dim, hidden=config.hidden,
            generator_activation=config.generator_activation,
        )  # fmt: skip
    shift, scale = (
        scenario.standardisation() if config.standardise else (np.zeros(scenario.data_dim), 1.0)
    )
    generator.set_standardisation(torch.as_tensor(shift), scale)
    return generator, critic


@functools.lru_cache(maxsize=4)
def load_split(spec: ScenarioSpec, name: str) -> tuple[Scenario, tuple[np.ndarray, ...]]:
    """The scenario and its federated split (once per process and spec)."""
    scenario = load_scenario(spec, name=name)
    return scenario, tuple(partition_scenario(scenario, spec))


@functools.lru_cache(maxsize=64)
def _client_data(
    config: RunConfig, design: FederationDesign, partition_id: int, num_partitions: int, device: str
) -> ClientData:
    if num_partitions == 0:  # pooled: every row
        return rows_as_data(config, load_scenario_once(config), design).to(torch.device(device))
    scenario, parts = load_split(config.scenario_spec(num_partitions), config.scenario)
    return rows_as_data(config, scenario, design, parts[partition_id]).to(torch.device(device))


@functools.lru_cache(maxsize=4)
def _scenario(spec: ScenarioSpec, name: str) -> Scenario:
    return load_scenario(spec, name=name)


def load_scenario_once(config: RunConfig) -> Scenario:
    """The run's scenario, built once per process (no split)."""
    return _scenario(config.scenario_spec(), config.scenario)


def rows_as_data(
    config: RunConfig, scenario: Scenario, design: FederationDesign, idx: np.ndarray | None = None
) -> ClientData:
    """Rows ``idx`` (all by default) as tensors in the models' space."""
    rows = slice(None) if idx is None else idx
    shift, scale = scenario.standardisation() if config.standardise else (0.0, 1.0)
    x = torch.from_numpy(((scenario.x[rows] - shift) / scale).astype(np.float32))
    if config.model == "conv" and scenario.image_shape is not None:
        x = x.view(-1, *scenario.image_shape)
    groups = torch.from_numpy(scenario.group[rows])
    labels = torch.from_numpy(scenario.label[rows]) if scenario.num_labels else None
    return ClientData(
        x, groups, labels, scenario.num_groups, sources=design.sources(groups),
        critic_labels=design.critic_labels(labels, groups),
    )  # fmt: skip


def client_data(
    config: RunConfig,
    design: FederationDesign,
    *,
    partition_id: int,
    num_partitions: int,
    device: torch.device,
    pooled: bool = False,
) -> tuple[Scenario, ClientData]:
    """A client's rows on ``device``; the split is computed once per process.

    ``pooled`` gives every row of the scenario (a federation of one: the centralised run).

    Raises
    ------
    ValueError
        If ``partition_id`` is outside ``[0, num_partitions)``.
    """
    if not 0 <= partition_id < num_partitions:
        raise ValueError(f"partition-id must be in [0, {num_partitions}), got {partition_id}")
    if pooled:
        data = _client_data(config, design, 0, 0, str(device))
        return load_scenario_once(config), data
    scenario, _ = load_split(config.scenario_spec(num_partitions), config.scenario)
    return scenario, _client_data(config, design, partition_id, num_partitions, str(device))
