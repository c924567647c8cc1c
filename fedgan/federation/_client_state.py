"""A client's persistent state behind one call: restore, attach privacy, save, budget.

Between rounds a client keeps (as flat arrays, e.g. in Flower's ``context.state``) its
critic (unless the critic travels), both Adam states, its own generator source slices,
its group weights, its step counters and its accounted private steps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import torch

from fedgan.designs import FederationDesign
from fedgan.models import Critic, Generator
from fedgan.privacy import GeneratorGradientPrivacy, PrivacySettings, make_private_critic
from fedgan.protocol import pack, unpack
from fedgan.training import ClientData, LocalState, TrainConfig

__all__ = ["epsilon_spent", "last_round", "restore_state", "round_would_exceed", "save_state"]

_CRITIC, _OWN = "critic/", "own/"


def _opt_arrays(prefix: str, opt: torch.optim.Optimizer) -> dict[str, np.ndarray]:
    out = {}
    for index, slots in opt.state_dict()["state"].items():
        for name, value in slots.items():
            out[f"{prefix}{index}/{name}"] = torch.as_tensor(value).detach().cpu().numpy()
    return out


def _load_opt(prefix: str, opt: torch.optim.Optimizer, arrays: Mapping[str, np.ndarray]) -> None:
    device = opt.param_groups[0]["params"][0].device
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in arrays.items():
        if key.startswith(prefix):
            index, name = key[len(prefix) :].split("/", 1)
            t = torch.from_numpy(np.array(value))
            state.setdefault(int(index), {})[name] = t if name == "step" else t.to(device)
    if state:
        opt.load_state_dict({"state": state, "param_groups": opt.state_dict()["param_groups"]})


def save_state(
    state: LocalState, generator: Generator, design: FederationDesign, *, server_round: int = 0
) -> dict[str, np.ndarray]:
    """Everything the client must remember until its next round (``server_round``: this one)."""
    out: dict[str, np.ndarray] = {"meta/round": np.asarray([server_round])}
    if not design.critic_travels:
        out |= pack(_CRITIC, state.critic.state_dict())
    if not design.server_trains:  # otherwise the server owns every generator weight
        own = set(generator.source_parameter_names())
        out |= pack(_OWN, {k: v for k, v in generator.named_parameters() if k in own})
    out |= _opt_arrays("copt/", state.critic_optimizer)
    if state.generator_optimizer is not None:
        out |= _opt_arrays("gopt/", state.generator_optimizer)
    dp = state.private or state.generator_privacy
    out |= {
        "meta/group_weights": state.reweighter.state(),
        "meta/steps": np.asarray([state.steps, state.generator_steps, dp.steps if dp else 0]),
    }
    return out


def last_round(saved: Mapping[str, np.ndarray] | None) -> int:
    """The round the saved state was written in (0: the client never trained)."""
    return int(np.asarray((saved or {}).get("meta/round", [0]))[0])


def restore_state(
    *,
    critic: Critic,
    generator: Generator,
    data: ClientData,
    config: TrainConfig,
    privacy: PrivacySettings,
    design: FederationDesign,
    saved: Mapping[str, np.ndarray] | None,
    seed: int,
) -> LocalState:
    """The client's :class:`LocalState` for this round, privacy attached.

    ``critic`` and ``generator`` hold what the server sent (and the run's initial
    weights elsewhere); the saved critic (private designs) and own slices replace them.
    """
    saved = saved or {}
    if saved and not design.critic_travels:
        critic.load_state_dict(unpack(_CRITIC, saved))
    own = unpack(_OWN, saved)
    if own:
        generator.load_state_dict(own, strict=False)
    state = LocalState.create(critic, data, config)
    _load_opt("copt/", state.critic_optimizer, saved)
    state.bind_generator(generator)
    assert state.generator_optimizer is not None
    _load_opt("gopt/", state.generator_optimizer, saved)
    steps = np.asarray(saved.get("meta/steps", [0, 0, 0]), dtype=np.int64)
    state.steps, state.generator_steps = int(steps[0]), int(steps[1])
    if "meta/group_weights" in saved:
        state.reweighter.restore(saved["meta/group_weights"])
    _attach_privacy(state, data, privacy, batch_size=config.batch_size, seed=seed)
    dp = state.private or state.generator_privacy
    if dp is not None:
        dp.steps = int(steps[2])
    return state


def _attach_privacy(
    state: LocalState, data: ClientData, settings: PrivacySettings, *, batch_size: int, seed: int
) -> None:
    if settings.mode == "critic":
        n = int(data.x.shape[0])
        state.private = make_private_critic(
            critic=state.critic,
            optimizer=state.critic_optimizer,
            sample_size=n,
            batch_size=min(batch_size, n),
            max_grad_norm=settings.max_grad_norm,
            noise_multiplier=None if settings.target_epsilon > 0 else settings.noise_multiplier,
            target_epsilon=settings.target_epsilon or None,
            delta=settings.delta,
            planned_steps=settings.planned_steps,
        )
        state.critic_optimizer = state.private.optimizer
    elif settings.mode == "generator-gradient":
        rng = torch.Generator(device=data.x.device).manual_seed(seed)
        state.generator_privacy = GeneratorGradientPrivacy(
            noise_multiplier=settings.noise_multiplier,
            max_grad_norm=settings.max_grad_norm,
            delta=settings.delta,
            rng=rng,
        )


def epsilon_spent(state: LocalState, extra_steps: int = 0) -> float:
    """ε spent by this client so far (plus ``extra_steps``); 0 when not private."""
    dp = state.private or state.generator_privacy
    if dp is None:
        return 0.0
    eps = dp.epsilon(extra_steps)
    return eps if math.isfinite(eps) else math.inf


def round_would_exceed(state: LocalState, settings: PrivacySettings, steps_this_round: int) -> bool:
    """Whether training one more round would spend more than the budget."""
    if settings.mode == "off" or settings.epsilon_budget <= 0:
        return False
    return epsilon_spent(state, steps_this_round) > settings.epsilon_budget
