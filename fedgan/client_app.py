"""Flower ClientApp: train the global generator against this client's own critic.

The critic, its Adam state and its group weights live in ``context.state``
and never leave the client unless ``share-critic`` is set.
"""

from __future__ import annotations

import logging
from typing import cast

import numpy as np
import torch
from flwr.app import Array, ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from fedgan.config import RunConfig
from fedgan.federated import (
    client_data,
    critic_from_arrays,
    critic_to_arrays,
    make_models,
    restore_dp_steps,
    round_seed,
)
from fedgan.privacy import attach_privacy, epsilon_spent, round_would_exceed
from fedgan.training import CriticState, resolve_device, train_local

app = ClientApp()
log = logging.getLogger("fedgan")

CRITIC_STATE_KEY = "fedgan-critic"
SHARED_CRITIC_PREFIX = "critic/"


@app.train()
def train(msg: Message, context: Context) -> Message:
    """Run local generator/critic steps and reply with the generator and statistics."""
    config = RunConfig.from_mapping(context.run_config)
    pid = int(context.node_config["partition-id"])
    num_partitions = int(context.node_config["num-partitions"])
    device = resolve_device(config.device)
    scenario, data = client_data(config, pid, num_partitions, device)
    train_config = config.train_config()
    torch.manual_seed(round_seed(config.seed, 0, pid))  # the critic's first init: reproducible
    generator, critic = make_models(config, scenario)
    generator.to(device)
    critic.to(device)
    incoming = msg.content.array_records["arrays"].to_torch_state_dict()
    generator.load_state_dict(
        {k: v for k, v in incoming.items() if not k.startswith(SHARED_CRITIC_PREFIX)}
    )

    saved: dict[str, np.ndarray] = {}
    if CRITIC_STATE_KEY in context.state.array_records:
        saved = {k: a.numpy() for k, a in context.state.array_records[CRITIC_STATE_KEY].items()}
        state = critic_from_arrays(critic, data, train_config, saved)
    else:
        state = CriticState.create(critic, data, train_config)
    privacy = config.privacy_settings()
    attach_privacy(
        state, data, privacy, batch_size=config.batch_size, seed=round_seed(config.seed, 0, pid)
    )
    restore_dp_steps(state, saved)
    if config.share_critic:
        shared = {
            k[len(SHARED_CRITIC_PREFIX) :]: v
            for k, v in incoming.items()
            if k.startswith(SHARED_CRITIC_PREFIX)
        }
        critic.load_state_dict(shared)

    server_round = int(cast(int, msg.content.config_records["config"]["server-round"]))
    # Stop before the round that would overspend, not after it.
    steps = config.private_steps_per_round()
    if round_would_exceed(state, privacy, steps):
        eps = epsilon_spent(state)
        log.warning(
            "client %d: round %d would take epsilon from %.3f to %.3f, past the budget %.3f; "
            "not training", pid, server_round, eps, epsilon_spent(state, steps), privacy.epsilon_budget,
        )  # fmt: skip
        stopped = _stopped_metrics(data.num_groups, pid, state, eps)
        content = RecordDict({"arrays": ArrayRecord(incoming), "metrics": MetricRecord(stopped)})  # type: ignore[arg-type]
        return Message(content=content, reply_to=msg)
    stats = train_local(
        generator, state, data, train_config, seed=round_seed(config.seed, server_round, pid)
    )
    context.state[CRITIC_STATE_KEY] = ArrayRecord(
        array_dict={k: Array(np.ascontiguousarray(v)) for k, v in critic_to_arrays(state).items()}
    )

    outgoing = {k: v.detach().cpu() for k, v in generator.state_dict().items()}
    if config.share_critic:
        outgoing |= {
            SHARED_CRITIC_PREFIX + k: v.detach().cpu() for k, v in critic.state_dict().items()
        }
    metrics: dict[str, float] = {
        "num-examples": float(stats.count.sum()),
        "num-groups": float(data.num_groups),
        "partition-id": float(pid),
        "critic-steps": float(state.steps),
        "loss-d": stats.loss_d,
        "loss-g": stats.loss_g,
        "privacy/epsilon": epsilon_spent(state),
        "privacy/stopped": 0.0,
    }
    for g in range(data.num_groups):
        for name, values in (
            ("count", stats.count), ("wasserstein", stats.wasserstein), ("grad-norm", stats.grad_norm),
            ("gp", stats.gp), ("loss-weight", stats.group_weight),
        ):  # fmt: skip
            metrics[f"group/{g}/{name}"] = float(values[g])
    content = RecordDict({"arrays": ArrayRecord(outgoing), "metrics": MetricRecord(metrics)})  # type: ignore[arg-type]
    return Message(content=content, reply_to=msg)


def _stopped_metrics(
    num_groups: int, pid: int, state: CriticState, epsilon: float
) -> dict[str, float]:
    """Same keys as a training reply (Flower requires it), zero examples, stopped flag set."""
    metrics = {
        "num-examples": 0.0, "num-groups": float(num_groups), "partition-id": float(pid),
        "critic-steps": float(state.steps), "loss-d": float("nan"), "loss-g": float("nan"),
        "privacy/epsilon": epsilon, "privacy/stopped": 1.0,
    }  # fmt: skip
    for g in range(num_groups):
        for name in ("count", "wasserstein", "grad-norm", "gp", "loss-weight"):
            metrics[f"group/{g}/{name}"] = 0.0 if name == "count" else float("nan")
    return metrics
