"""The differential-privacy settings of a run."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fedgan._checks import FieldError
from fedgan.choices import DP_MODES, DPMode, one_of

__all__ = ["PrivacySettings"]


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

    def __post_init__(self) -> None:
        if self.mode not in DP_MODES:
            raise FieldError("dp", one_of(self.mode, DP_MODES))
        for name, low, strict in (
            ("noise_multiplier", 0.0, False),
            ("target_epsilon", 0.0, False),
            ("max_grad_norm", 0.0, True),
            ("epsilon_budget", 0.0, False),
        ):
            v = getattr(self, name)
            if not math.isfinite(v) or v < low or (strict and v == low):
                raise FieldError(
                    name, f"must be a finite number {'>' if strict else '>='} {low}, got {v!r}"
                )
        if not 0 < self.delta < 1:
            raise FieldError("delta", f"must be in (0, 1), got {self.delta!r}")
        if self.mode == "generator-gradient" and self.noise_multiplier <= 0:
            raise FieldError("noise_multiplier", "must be > 0 with dp = 'generator-gradient'")
        if self.mode == "critic" and self.noise_multiplier == 0 and self.target_epsilon == 0:
            raise FieldError(
                "noise_multiplier",
                "is 0 with dp = 'critic': no noise means no privacy (epsilon = infinity); "
                "set noise-multiplier > 0, target-epsilon > 0, or dp = 'off'",
            )
