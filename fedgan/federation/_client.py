"""One client's side of a round, Flower-free: what the thin Flower ClientApp calls."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from fedgan.config import RunConfig
from fedgan.designs import FederationDesign
from fedgan.federation._chaos import LIE_ROWS, with_chaos
from fedgan.federation._checkpoint import load_client, save_client
from fedgan.federation._client_state import (
    epsilon_spent,
    last_round,
    restore_state,
    round_would_exceed,
    save_state,
)
from fedgan.federation._setup import client_data, make_models, round_seed
from fedgan.models import Critic, Generator
from fedgan.protocol import ReplyStatus, report_metrics
from fedgan.training import (
    ClientData,
    LocalState,
    LocalStats,
    resolve_device,
    train_critic,
    train_local,
)

__all__ = ["ClientRoundResult", "client_hello", "client_round"]

log = logging.getLogger("fedgan")


@dataclass(frozen=True)
class ClientRoundResult:
    """What a client sends back and what it keeps.

    Attributes
    ----------
    arrays : dict of str to np.ndarray
        The upload (:mod:`fedgan.protocol` prefixes).
    metrics : dict of str to float
        The reply's metrics (:func:`fedgan.protocol.report_metrics`).
    state : dict of str to np.ndarray
        The client's state to keep until its next round.
    """

    arrays: dict[str, np.ndarray]
    metrics: dict[str, float]
    state: dict[str, np.ndarray]


def client_hello(
    config: RunConfig,
    *,
    partition_id: int,
    num_partitions: int,
    pooled: bool = False,
    data_path: str | None = None,
) -> dict[str, float]:
    """The handshake reply: who this client is and how many rows of each group it holds."""
    design = config.design
    _, data = client_data(
        config,
        design,
        partition_id=partition_id,
        num_partitions=num_partitions,
        device=torch.device("cpu"),
        pooled=pooled,
        data_path=data_path,
    )
    counts = data.group_counts()
    if partition_id == config.lie_at_handshake:  # chaos testing: a lying declaration
        counts = counts + LIE_ROWS
    return report_metrics(partition_id=partition_id, num_partitions=num_partitions, counts=counts)


def _train_round(
    config: RunConfig,
    *,
    partition_id: int,
    num_partitions: int,
    server_round: int,
    download: Mapping[str, np.ndarray],
    saved: Mapping[str, np.ndarray] | None,
    pooled: bool = False,
    resumed_from: int = 0,
    data_path: str | None = None,
    keep: bool = True,
) -> ClientRoundResult:
    """Restore the client, check its privacy budget, train, and build its reply.

    Parameters
    ----------
    config : RunConfig
        The run.
    partition_id, num_partitions : int
        Which client this is, of how many.
    server_round : int
        The round (seeds it).
    download : mapping of str to np.ndarray
        What the server sent (:meth:`FederationDesign.download`).
    saved : mapping of str to np.ndarray, optional
        The state this client kept from its last round (``None`` the first time).
    pooled : bool
        Hold every row of the scenario (the centralised reference: one client).
    resumed_from : int
        The round the server resumed after; with no ``saved`` state the client takes back
        its checkpoint from a round no later than that.
    data_path : str, optional
        A data owner's own file (node config ``data-path``) instead of the scenario's split.
    keep : bool
        Keep what was learnt (state and checkpoint); ``False`` returns the state the round
        started from (a faulty round of the chaos test).

    Returns
    -------
    ClientRoundResult
    """
    if saved is None and resumed_from > 0:
        saved = load_client(config, partition_id, resumed_from)
    where = _Where(
        partition_id=partition_id, num_partitions=num_partitions, server_round=server_round
    )
    client = _restore(config, where, download, saved, pooled=pooled, data_path=data_path)
    critic_steps = config.critic_steps_this_round(server_round, last_round(saved))
    steps = critic_steps if config.dp == "critic" else config.private_steps_per_round()
    if round_would_exceed(client.state, config.privacy, steps):
        return _stopped(config, where, client, saved, steps)
    stats = _train(config, where, client, critic_steps)
    metrics = report_metrics(
        partition_id=partition_id,
        num_partitions=num_partitions,
        counts=client.counts,
        stats={
            "wasserstein": stats.wasserstein,
            "grad-norm": stats.grad_norm,
            "gp": stats.gp,
            "loss-weight": stats.group_weight,
        },
        scalars=_scalars(client.state) | {"loss-d": stats.loss_d, "loss-g": stats.loss_g},
    )
    upload = client.design.upload(client.generator, client.critic)
    if not keep:
        return ClientRoundResult(arrays=upload, metrics=metrics, state=dict(saved or {}))
    kept = save_state(client.state, client.generator, client.design, server_round=server_round)
    try:
        save_client(config, partition_id, server_round, kept)
    except OSError as err:  # a node that cannot write its checkpoint still trains
        log.warning(
            "client %d: checkpoint not written (%s); a resumed run restarts it", partition_id, err
        )
    return ClientRoundResult(arrays=upload, metrics=metrics, state=kept)


@dataclass(frozen=True)
class _Where:
    """Which client this is, of how many, in which round."""

    partition_id: int
    num_partitions: int
    server_round: int


@dataclass(frozen=True)
class _Restored:
    """A client's models, data and training state at the start of its round."""

    design: FederationDesign
    data: ClientData
    generator: Generator
    critic: Critic
    state: LocalState
    counts: np.ndarray


def _restore(
    config: RunConfig,
    where: _Where,
    download: Mapping[str, np.ndarray],
    saved: Mapping[str, np.ndarray] | None,
    *,
    pooled: bool,
    data_path: str | None,
) -> _Restored:
    """The client's data, the models as the server sent them, and its kept state."""
    design, pid = config.design, where.partition_id
    device = resolve_device(config.device)
    scenario, data = client_data(
        config,
        design,
        partition_id=pid,
        num_partitions=where.num_partitions,
        device=device,
        pooled=pooled,
        data_path=data_path,
    )
    generator, critic = make_models(config, scenario, design, num_partitions=1)
    design.load_download(
        download, generator, critic, partition_id=pid, num_groups=scenario.num_groups
    )
    generator.to(device)
    critic.to(device)
    state = restore_state(
        critic=critic,
        generator=generator,
        data=data,
        config=config.train,
        privacy=config.privacy,
        design=design,
        saved=saved,
        seed=round_seed(config.seed, 0, pid),
    )
    return _Restored(design, data, generator, critic, state, data.group_counts())


def _scalars(state: LocalState) -> dict[str, float]:
    """The counters every reply carries."""
    return {
        "privacy/epsilon": epsilon_spent(state),
        "critic-steps": state.steps,
        "generator-steps": state.generator_steps,
    }


def _stopped(
    config: RunConfig,
    where: _Where,
    client: _Restored,
    saved: Mapping[str, np.ndarray] | None,
    steps: int,
) -> ClientRoundResult:
    """The reply of a client whose round would pass its privacy budget: it does not train."""
    eps = epsilon_spent(client.state)
    log.warning(
        "client %d: round %d would take epsilon from %.3f to %.3f, past the budget %.3f; "
        "not training",
        where.partition_id,
        where.server_round,
        eps,
        epsilon_spent(client.state, steps),
        config.privacy.epsilon_budget,
    )
    metrics = report_metrics(
        partition_id=where.partition_id,
        num_partitions=where.num_partitions,
        counts=client.counts,
        status=ReplyStatus.STOPPED,
        scalars=_scalars(client.state),
    )
    upload = client.design.upload(client.generator, client.critic)
    return ClientRoundResult(arrays=upload, metrics=metrics, state=dict(saved or {}))


def _train(config: RunConfig, where: _Where, client: _Restored, critic_steps: int) -> LocalStats:
    """The round's training: critic only where the server trains the generator."""
    seed = round_seed(config.seed, where.server_round, where.partition_id)
    if client.design.server_trains:  # the generator's steps happen on the server
        done = (where.server_round - 1) * config.generator_steps
        return train_critic(
            client.generator,
            client.state,
            client.data,
            seed=seed,
            steps=critic_steps,
            lr_factor=config.train.lr_factor(done, config.total_generator_steps),
        )
    return train_local(
        client.generator,
        client.state,
        client.data,
        seed=seed,
        total_steps=config.total_generator_steps,
    )


client_round = with_chaos(_train_round)
"""Train this client's round and build its reply (:func:`_train_round`), with the faults
``fail-rate`` injects around it (:func:`~fedgan.federation._chaos.with_chaos`)."""
