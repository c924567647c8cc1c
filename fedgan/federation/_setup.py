"""Build a run's models and a client's data the same way on every side."""

from __future__ import annotations

import functools

import numpy as np
import torch

from fedgan.config import RunConfig
from fedgan.data import Scenario, ScenarioSpec, load_scenario, partition_scenario, read_owner_file
from fedgan.designs import FederationDesign
from fedgan.models import Critic, Generator, build_models
from fedgan.training import ClientData

__all__ = ["client_data", "load_scenario_once", "load_split", "make_models", "round_seed"]

GUMBEL_TAU = 0.2  # categorical-output = "gumbel": CTGAN's temperature for discrete columns


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
            tuple(shape),
            kind=config.model,
            num_labels=scenario.num_labels,
            critic_labels=design.critic_label_count(scenario),
            num_sources=design.num_sources(scenario.num_groups, num_partitions),
            source_layers=config.source_layers if design.owns_layers else 0,
            latent_dim=config.latent_dim,
            hidden=config.hidden,
            critic_hidden=config.critic_hidden or config.hidden,
            generator_activation=config.generator_activation,
            source_conditioning=config.source_conditioning if design.per_source else "concat",
        )
    shift, scale = (
        scenario.standardisation() if config.standardise else (np.zeros(scenario.data_dim), 1.0)
    )
    generator.set_standardisation(torch.as_tensor(shift), scale)
    if scenario.bounds is not None:
        generator.set_bounds(*scenario.bounds)
    spans = getattr(scenario.encoder, "categorical_spans", ())
    if config.categorical_output != "linear" and spans:
        tau = GUMBEL_TAU if config.categorical_output == "gumbel" else 0.0
        generator.set_categorical_blocks(spans, gumbel_tau=tau)
    return generator, critic


@functools.lru_cache(maxsize=4)
def load_split(spec: ScenarioSpec, name: str) -> tuple[Scenario, tuple[np.ndarray, ...]]:
    """The scenario and its federated split (once per process and spec)."""
    scenario = load_scenario(spec, name=name)
    return scenario, tuple(partition_scenario(scenario, spec))


def check_split(config: RunConfig, num_partitions: int) -> None:
    """Build the split the clients will build and refuse an impossible one, before any work.

    Raises
    ------
    ValueError
        Naming the scenario, the client count and the keys that change the split.
    """
    try:
        load_split(config.scenario_spec(num_partitions), config.scenario)
    except ValueError as err:
        raise ValueError(
            f"scenario {config.scenario!r} cannot be split over {num_partitions} clients: {err} "
            "(keys that change the split: scenario, alpha, minority-share, "
            "minority-partitions; or start fewer SuperNodes)"
        ) from None


# Room for every client of a 1,000-client run simulated in one process (a client's rows
# are small; rebuilding them each round it trains cost a tenth of such a run).
@functools.lru_cache(maxsize=1024)
def _client_data(
    config: RunConfig, design: FederationDesign, partition_id: int, num_partitions: int, device: str
) -> ClientData:
    if num_partitions == 0:  # pooled: every row
        return rows_as_data(config, load_scenario_once(config), design).to(torch.device(device))
    scenario, parts = load_split(config.scenario_spec(num_partitions), config.scenario)
    return rows_as_data(config, scenario, design, parts[partition_id]).to(torch.device(device))


@functools.lru_cache(maxsize=16)
def _owner_data(config: RunConfig, design: FederationDesign, path: str, device: str) -> ClientData:
    scenario = load_scenario_once(config)
    if scenario.num_labels:
        raise ValueError(
            f"data-path: scenario {config.scenario!r} conditions on labels a data owner's file "
            "does not hold; use conditioning = 'none'"
        )
    x, group = read_owner_file(path, scenario)
    return as_client_data(config, scenario, design, x, group).to(torch.device(device))


@functools.lru_cache(maxsize=4)
def _scenario(spec: ScenarioSpec, name: str) -> Scenario:
    return load_scenario(spec, name=name)


def load_scenario_once(config: RunConfig) -> Scenario:
    """The run's scenario, built once per process (no split)."""
    return _scenario(config.scenario_spec(), config.scenario)


def rows_as_data(
    config: RunConfig, scenario: Scenario, design: FederationDesign, idx: np.ndarray | None = None
) -> ClientData:
    """Rows ``idx`` of the scenario (all by default) as tensors in the models' space."""
    rows = slice(None) if idx is None else idx
    labels = scenario.label[rows] if scenario.num_labels else None
    return as_client_data(config, scenario, design, scenario.x[rows], scenario.group[rows], labels)


def as_client_data(
    config: RunConfig,
    scenario: Scenario,
    design: FederationDesign,
    x: np.ndarray,
    group: np.ndarray,
    label: np.ndarray | None = None,
) -> ClientData:
    """Data-space rows with their groups (and labels) as tensors in the models' space."""
    shift, scale = scenario.standardisation() if config.standardise else (0.0, 1.0)
    xt = torch.from_numpy(((x - shift) / scale).astype(np.float32))
    if config.model == "conv" and scenario.image_shape is not None:
        xt = xt.view(-1, *scenario.image_shape)
    groups = torch.from_numpy(np.asarray(group, dtype=np.int64))
    labels = None if label is None else torch.from_numpy(np.asarray(label, dtype=np.int64))
    return ClientData(
        xt,
        groups,
        labels,
        scenario.num_groups,
        sources=design.sources(groups),
        critic_labels=design.critic_labels(labels, groups),
    )


def client_data(
    config: RunConfig,
    design: FederationDesign,
    *,
    partition_id: int,
    num_partitions: int,
    device: torch.device,
    pooled: bool = False,
    data_path: str | None = None,
) -> tuple[Scenario, ClientData]:
    """A client's rows on ``device``; the split is computed once per process.

    ``pooled`` gives every row of the scenario (a federation of one: the centralised run);
    ``data_path`` the rows of a data owner's own file instead of the scenario's split
    (:func:`fedgan.data.read_owner_file`).

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
    if data_path:
        return load_scenario_once(config), _owner_data(config, design, str(data_path), str(device))
    scenario, _ = load_split(config.scenario_spec(num_partitions), config.scenario)
    return scenario, _client_data(config, design, partition_id, num_partitions, str(device))
