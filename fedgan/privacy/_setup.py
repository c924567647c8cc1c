"""Attach a DP mode to a client's critic state, and the per-round budget check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from fedgan._train_types import ClientData, CriticState
from fedgan.privacy._generator import GeneratorGradientPrivacy
from fedgan.privacy._private import make_private_critic

__all__ = ["DPMode", "PrivacySettings", "attach_privacy", "epsilon_spent", "round_would_exceed"]

DPMode = Literal["off", "critic", "generator-gradient"]


@dataclass(frozen=True)
class PrivacySettings:
    """DP knobs of a run (validated by :class:`fedgan.config.RunConfig`).

    Attributes
    ----------
    mode : {"off", "critic", "generator-gradient"}
        ``critic``: DP-Adam on the critic (per-sample clip of the whole critic loss,
        penalty included). ``generator-gradient``: GS-WGAN-style sanitised gradient
        into the generator; the critic is not private and never shared.
    noise_multiplier : float
        σ (ignored when ``target_epsilon`` > 0 in critic mode).
    target_epsilon : float
        > 0: choose σ so the planned steps spend this ε (critic mode).
    delta : float
        δ.
    max_grad_norm : float
        Clipping bound C.
    epsilon_budget : float
        > 0: a client stops training before a round that would exceed it.
    planned_steps : int
        Private steps the whole run will take (for ``target_epsilon``).
    """

    mode: DPMode = "off"
    noise_multiplier: float = 1.0
    target_epsilon: float = 0.0
    delta: float = 1e-5
    max_grad_norm: float = 1.0
    epsilon_budget: float = 0.0
    planned_steps: int = 1


def attach_privacy(
    state: CriticState, data: ClientData, settings: PrivacySettings, *, batch_size: int, seed: int
) -> None:
    """Make ``state`` private under ``settings.mode`` (no-op for ``off``)."""
    if settings.mode == "critic":
        n = int(data.x.shape[0])
        state.private = make_private_critic(
            critic=state.critic, optimizer=state.optimizer, sample_size=n, batch_size=min(batch_size, n),
            max_grad_norm=settings.max_grad_norm,
            noise_multiplier=None if settings.target_epsilon > 0 else settings.noise_multiplier,
            target_epsilon=settings.target_epsilon or None, delta=settings.delta,
            planned_steps=settings.planned_steps,
        )  # fmt: skip
        state.optimizer = state.private.optimizer
    elif settings.mode == "generator-gradient":
        g = torch.Generator(device=data.x.device).manual_seed(seed)
        state.generator_privacy = GeneratorGradientPrivacy(
            noise_multiplier=settings.noise_multiplier, max_grad_norm=settings.max_grad_norm,
            delta=settings.delta, generator=g,
        )  # fmt: skip


def epsilon_spent(state: CriticState, extra_steps: int = 0) -> float:
    """ε spent by this client so far (plus ``extra_steps``); 0 when not private."""
    if state.private is not None:
        return state.private.epsilon(extra_steps)
    if state.generator_privacy is not None:
        return state.generator_privacy.epsilon(extra_steps)
    return 0.0


def round_would_exceed(
    state: CriticState, settings: PrivacySettings, steps_this_round: int
) -> bool:
    """Whether training one more round would spend more than the budget."""
    if settings.mode == "off" or settings.epsilon_budget <= 0:
        return False
    return epsilon_spent(state, steps_this_round) > settings.epsilon_budget
