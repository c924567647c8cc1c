"""GS-WGAN-style privacy: sanitise the gradient that flows from the critic into the generator."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from fedgan.privacy._private import rdp_epsilon

__all__ = ["GeneratorGradientPrivacy"]


@dataclass
class GeneratorGradientPrivacy:
    """Clip and noise ``∂loss_G/∂fake`` before it reaches the generator.

    Each row's gradient is clipped to ``max_grad_norm`` C, then Gaussian noise of
    standard deviation ``σ·C·√B`` is added to the batch: with one critic per client,
    a change of one private record can move every row's gradient, so the batch's
    L2 sensitivity is ``C·√B``. Each generator step is accounted as a Gaussian
    mechanism with multiplier σ and sample rate 1 (no subsampling amplification:
    that is why GS-WGAN trains many critics on disjoint subsets). The critic itself
    is not private in this mode and must never leave the client.
    """

    noise_multiplier: float
    max_grad_norm: float
    delta: float
    rng: torch.Generator | None = None
    steps: int = 0

    def __post_init__(self) -> None:
        if not self.noise_multiplier > 0 or not math.isfinite(self.noise_multiplier):
            raise ValueError(
                f"noise_multiplier must be a finite number > 0, got {self.noise_multiplier}"
            )
        if not self.max_grad_norm > 0:
            raise ValueError(f"max_grad_norm must be > 0, got {self.max_grad_norm}")
        if not 0 < self.delta < 1:
            raise ValueError(f"delta must be in (0, 1), got {self.delta}")

    def sanitise(self, grad: Tensor) -> Tensor:
        """Per-row clip to C of the per-row gradient, plus N(0, (σC√B)²) noise, rescaled back."""
        b = grad.shape[0]
        per_row = grad * b  # undo the batch mean so each row is ∂D(fake_i)/∂fake_i
        norms = per_row.flatten(1).norm(dim=1).clamp(min=1e-12)
        clipped = per_row * (self.max_grad_norm / norms).clamp(max=1.0).view(
            -1, *([1] * (grad.dim() - 1))
        )
        std = self.noise_multiplier * self.max_grad_norm * math.sqrt(b)
        noise = (
            torch.randn(grad.shape, device=grad.device, dtype=grad.dtype, generator=self.rng) * std
        )
        return (clipped + noise) / b

    def hook(self) -> Callable[[Tensor], Tensor]:
        """A tensor hook for the generated batch; counts one accounted step per call."""

        def _hook(grad: Tensor) -> Tensor:
            self.steps += 1
            return self.sanitise(grad)

        return _hook

    def epsilon(self, extra_steps: int = 0) -> float:
        """ε at ``delta`` after the steps so far plus ``extra_steps``."""
        return rdp_epsilon([(self.noise_multiplier, 1.0, self.steps + extra_steps)], self.delta)
