"""Opacus for the critic: exact per-sample gradients in, opacus's clipping, noise and accounting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Unpack

import torch
from torch import Tensor, nn

from fedgan.privacy._per_sample import PerSampleOptions, critic_row_grads

__all__ = ["PrivateCritic", "make_private_critic", "rdp_epsilon"]

VALIDATION_ERROR = (
    "critic cannot be trained privately: {errors}. Replace BatchNorm with LayerNorm, "
    "GroupNorm or no normalisation (opacus.validators.ModuleValidator.fix does this)."
)


def rdp_epsilon(history: Sequence[tuple[float, float, int]], delta: float) -> float:
    """ε at ``delta`` of a history of (noise multiplier, sample rate, steps), by opacus's RDP accountant."""
    from opacus.accountants import RDPAccountant

    acc = RDPAccountant()
    acc.history = [tuple(h) for h in history if h[2] > 0]
    return float(acc.get_epsilon(delta)) if acc.history else 0.0


@dataclass
class PrivateCritic:
    """A critic trained with DP-SGD/Adam: opacus's ``DPOptimizer`` and RDP accountant.

    Use :meth:`step` instead of ``loss.backward(); optimizer.step()``: it computes
    exact per-sample gradients of the whole critic loss (penalty included), writes
    them to ``p.grad_sample`` and lets opacus clip, add noise and account.
    """

    critic: nn.Module
    module: nn.Module  # opacus's no-op GradSampleModule around ``critic``
    optimizer: torch.optim.Optimizer  # an opacus DPOptimizer
    sample_rate: float
    expected_batch_size: int
    noise_multiplier: float
    max_grad_norm: float
    delta: float
    steps: int = 0
    # Per-sample gradient buffers kept between steps (opacus drops grad_sample after each).
    _buffers: dict[str, Tensor] = field(default_factory=dict, repr=False)

    def step(
        self,
        real: Tensor,
        fake: Tensor,
        groups: Tensor | None = None,
        **options: Unpack[PerSampleOptions],
    ) -> None:
        """One private critic update on a (Poisson-sampled) batch; an empty batch still steps.

        ``weights`` (the objective's row coefficients) replaces the plain per-row loss
        with ``lambda_gp``, as in :func:`~fedgan.privacy.per_sample_critic_grads`.
        """
        if real.shape[0] == 0:
            grads = {
                n: torch.zeros(1, *p.shape, device=p.device, dtype=p.dtype)
                for n, p in self.critic.named_parameters()
                if p.requires_grad
            }
        else:
            grads = critic_row_grads(
                self.critic, real, fake, groups, options, validate=False, out=self._buffers
            )
        named = dict(self.critic.named_parameters())
        for name, g in grads.items():
            named[name].grad_sample = g  # type: ignore[attr-defined]
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.steps += 1

    @property
    def history(self) -> list[tuple[float, float, int]]:
        """Accounting history as opacus's RDP accountant keeps it."""
        return [(self.noise_multiplier, self.sample_rate, self.steps)]

    def epsilon(self, extra_steps: int = 0) -> float:
        """ε at ``delta`` spent so far (plus ``extra_steps`` planned ones)."""
        return rdp_epsilon(
            [(self.noise_multiplier, self.sample_rate, self.steps + extra_steps)], self.delta
        )


def make_private_critic(
    *,
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    sample_size: int,
    batch_size: int,
    max_grad_norm: float,
    noise_multiplier: float | None = None,
    target_epsilon: float | None = None,
    delta: float = 1e-5,
    planned_steps: int | None = None,
    noise_generator: torch.Generator | None = None,
) -> PrivateCritic:
    """Make ``critic`` and its optimiser differentially private with opacus.

    Parameters
    ----------
    critic : nn.Module
        Validated with opacus's ``ModuleValidator`` (BatchNorm is rejected).
    optimizer : torch.optim.Optimizer
        The critic's optimiser; wrapped in opacus's ``DPOptimizer``.
    sample_size : int
        Rows N of the private dataset.
    batch_size : int
        Expected batch size B of Poisson sampling; the sample rate is ``B/N`` and
        the optimiser divides by exactly ``B`` (not ``int(N·q)``).
    max_grad_norm : float
        Per-sample clipping bound C.
    noise_multiplier : float, optional
        σ; give this or ``target_epsilon``.
    target_epsilon : float, optional
        Find σ so that ``planned_steps`` steps spend this ε at ``delta``.
    delta : float
        δ of the (ε, δ) guarantee.
    planned_steps : int, optional
        Steps the run will take (needed with ``target_epsilon``).
    noise_generator : torch.Generator, optional
        Source of the Gaussian noise (reproducible tests; not for deployment).

    Returns
    -------
    PrivateCritic
    """
    from opacus.accountants.utils import get_noise_multiplier
    from opacus.grad_sample import GradSampleModuleNoOp
    from opacus.optimizers import DPOptimizer
    from opacus.validators import ModuleValidator

    errors = ModuleValidator.validate(critic, strict=False)
    if errors:
        raise ValueError(VALIDATION_ERROR.format(errors="; ".join(str(e) for e in errors)))
    if sample_size < 1 or not 1 <= batch_size <= sample_size:
        raise ValueError(f"batch_size must be in [1, sample_size={sample_size}], got {batch_size}")
    if not max_grad_norm > 0 or not math.isfinite(max_grad_norm):
        raise ValueError(f"max_grad_norm must be a finite number > 0, got {max_grad_norm}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    q = batch_size / sample_size
    if (noise_multiplier is None) == (target_epsilon is None):
        raise ValueError("give exactly one of noise_multiplier and target_epsilon")
    if target_epsilon is not None:
        if not target_epsilon > 0:
            raise ValueError(f"target_epsilon must be > 0, got {target_epsilon}")
        if not planned_steps or planned_steps < 1:
            raise ValueError("planned_steps (>= 1) is needed with target_epsilon")
        sigma = float(
            get_noise_multiplier(
                target_epsilon=target_epsilon,
                target_delta=delta,
                sample_rate=q,
                steps=planned_steps,
                accountant="rdp",
            )
        )
    else:
        sigma = float(noise_multiplier)  # type: ignore[arg-type]
        if not sigma >= 0 or not math.isfinite(sigma):
            raise ValueError(
                f"noise_multiplier must be a finite number >= 0, got {noise_multiplier}"
            )
    module = GradSampleModuleNoOp(critic, batch_first=True, loss_reduction="mean")
    dp_opt = DPOptimizer(
        optimizer,
        noise_multiplier=sigma,
        max_grad_norm=max_grad_norm,
        expected_batch_size=batch_size,
        loss_reduction="mean",
        generator=noise_generator,
    )
    return PrivateCritic(
        critic=critic,
        module=module,
        optimizer=dp_opt,
        sample_rate=q,
        expected_batch_size=batch_size,
        noise_multiplier=sigma,
        max_grad_norm=max_grad_norm,
        delta=delta,
    )
