"""An exponential moving average of the generator's weights, started late.

GAN weights keep circling the equilibrium while the learning rate is still large; an
average of the iterates sits closer to it (Yazıcı et al. 2019; StyleGAN's G_ema). The
average is what is evaluated and released; the raw generator keeps training. Averaging
from step 0 drags in the untrained weights for a long time (measured: no high-quality
sample at 600–1,000 steps with β = 0.999), so the average is a plain copy of the raw
weights until ``start`` of the run has passed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Generic, TypeVar

import torch
from torch import Tensor, nn

__all__ = ["WeightAverage"]

M = TypeVar("M", bound=nn.Module)


class WeightAverage(Generic[M]):
    """``θ̄ ← β_r θ̄ + (1 − β_r) θ`` after every round from ``start``; a copy before.

    Parameters
    ----------
    model : nn.Module
        The trained model; copied here (its buffers are copied, never averaged).
    decay : float
        ``β`` per generator step, in ``[0, 1)``; a round of ``steps_per_round`` steps uses
        ``β ** steps_per_round``. 0 keeps a plain copy (no averaging).
    steps_per_round : int
        Generator steps between two calls of :meth:`update`.
    start_round : int
        The first round whose weights enter the average; earlier rounds are copied.
    """

    def __init__(self, model: M, *, decay: float, steps_per_round: int, start_round: int) -> None:
        if not 0 <= decay < 1:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        if steps_per_round < 1:
            raise ValueError(f"steps_per_round must be >= 1, got {steps_per_round}")
        self.model: M = copy.deepcopy(model).requires_grad_(False)
        self.round_decay = float(decay) ** steps_per_round
        self.start_round = int(start_round)

    @torch.no_grad()
    def update(self, model: nn.Module, server_round: int) -> None:
        """Fold ``model``'s current weights in (after round ``server_round``)."""
        beta = self.round_decay if server_round > self.start_round else 0.0
        mine = dict(self.model.named_parameters())
        for name, value in model.named_parameters():
            mine[name].mul_(beta).add_(value.detach(), alpha=1.0 - beta)
        buffers = dict(self.model.named_buffers())
        for name, buffer in model.named_buffers():
            buffers[name].copy_(buffer)

    def state(self) -> dict[str, Tensor]:
        """The averaged weights, on the CPU (for checkpoints)."""
        return {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}

    def restore(self, state: Mapping[str, Tensor]) -> None:
        """Put back what :meth:`state` saved."""
        self.model.load_state_dict(dict(state))
