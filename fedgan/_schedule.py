"""The gradient penalty's schedule: which critic steps carry it, and at what weight.

Everything about *when* and *how strongly* the penalty applies lives here, beside
:class:`PenaltyTerm` (what one step's penalty is); :mod:`fedgan.losses` re-exports both.

* **Lazy regularisation** (StyleGAN2): with ``every = k > 1`` only every k-th critic step
  carries the penalty, at ``k · λ`` (the gain), so its average strength is unchanged; the
  critic's Adam is corrected for the uneven steps (lr and betas to the power
  ``c = k / (k + 1)``); diagnostics divide the gain back out.
* **A share of the batch** (``fraction`` < 1): the penalty is computed on the first
  ``ceil(fraction · B)`` rows only.
* **Differential privacy** (``private``): each sample's clipped gradient must carry its own
  penalty term, so neither lazy steps nor a share of the batch can apply; such a schedule
  is refused here, in one place, before any step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from fedgan._checks import FieldError, group_lambdas
from fedgan.choices import Balance

__all__ = ["PenaltySchedule", "PenaltyTerm"]


@dataclass(frozen=True)
class PenaltyTerm:
    """The penalty of one critic step: λ per group (gain included), target, balance, share.

    Attributes
    ----------
    lambdas : Tensor
        ``[G]`` λ_g, already multiplied by the lazy-regularisation gain.
    target : float
        Target gradient norm.
    balance : {"group", "sample"}
        How rows are averaged.
    fraction : float
        Share of the batch the penalty is computed on, in (0, 1].
    """

    lambdas: Tensor
    target: float = 1.0
    balance: Balance = "group"
    fraction: float = 1.0


@dataclass(frozen=True)
class PenaltySchedule:
    """Which critic steps carry the penalty, with which :class:`PenaltyTerm`.

    Parameters
    ----------
    lambda_gp : float or tuple of float
        λ, one or one per group.
    every : int
        Penalty on every ``every``-th critic step (lazy regularisation; 1 = every step).
    fraction : float
        Share of the batch the penalty is computed on, in (0, 1].
    target : float
        Target gradient norm.
    balance : {"group", "sample"}
        Every group present counts equally, or every row.
    private : bool
        The critic trains with differential privacy (per-sample clipping).

    Raises
    ------
    FieldError
        ``gp_every`` > 1 or ``gp_fraction`` < 1 with ``private``, naming the key.
    """

    lambda_gp: float | tuple[float, ...]
    every: int = 1
    fraction: float = 1.0
    target: float = 1.0
    balance: Balance = "group"
    private: bool = False

    def __post_init__(self) -> None:
        if self.private and self.every > 1:
            raise FieldError(
                "gp_every",
                "must be 1 with dp = 'critic' (per-sample clipping needs every "
                f"step's own penalty), got {self.every}",
            )
        if self.private and self.fraction < 1:
            raise FieldError(
                "gp_fraction",
                "must be 1.0 with dp = 'critic': each sample's clipped gradient "
                f"carries its own penalty term, got {self.fraction}",
            )

    @property
    def active(self) -> bool:
        """Whether any λ is positive (otherwise no step carries a penalty)."""
        lam = self.lambda_gp
        return any(v > 0 for v in lam) if isinstance(lam, tuple) else lam > 0

    @property
    def gain(self) -> int:
        """The factor λ is multiplied by on the steps that carry the penalty."""
        return self.every

    def applies(self, critic_step: int) -> bool:
        """Whether the critic's step number ``critic_step`` (0-based) carries the penalty."""
        return self.active and critic_step % self.every == 0

    def term(self, num_groups: int, device: torch.device) -> PenaltyTerm:
        """The penalty of a step that carries it."""
        lambdas = group_lambdas(self.lambda_gp, num_groups, device=device) * self.gain
        return PenaltyTerm(
            lambdas, target=self.target, balance=self.balance, fraction=self.fraction
        )

    @property
    def adam_power(self) -> float:
        """``c``: the critic's Adam runs at ``lr · c`` with betas ``β ** c`` (1 when not lazy)."""
        return self.every / (self.every + 1) if self.every > 1 else 1.0
