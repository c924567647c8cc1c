"""Hyper-parameters of local training, validated once on construction."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from fedgan._checks import FieldError
from fedgan.choices import BALANCES, Balance, one_of
from fedgan.losses import GroupWeighting, PenaltySchedule

__all__ = ["BatchSampling", "TrainConfig"]

BatchSampling = Literal["uniform", "stratified"]
"""``uniform``: rows drawn with replacement; ``stratified``: an equal share of every group."""


def _positive_int(name: str, v: object) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise FieldError(name, f"must be an integer >= 1, got {v!r}")


def _number(name: str, v: object, *, low: float, strict: bool) -> None:
    ok = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
    if not ok or v < low or (strict and v == low):  # type: ignore[operator]
        raise FieldError(
            name, f"must be a finite number {'>' if strict else '>='} {low}, got {v!r}"
        )


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`fedgan.training.train_local`.

    Attributes
    ----------
    generator_steps : int
        Generator updates per call.
    n_critic : int
        Critic updates per generator update.
    batch_size : int
        Rows per critic/generator batch.
    lambda_gp : float or tuple of float
        Penalty weight, one or one per group.
    gp_target : float
        Target gradient norm.
    gp_balance : {"group", "sample"}
        ``group``: every group counts equally; ``sample``: the pooled WGAN-GP.
    gp_every : int
        Lazy regularisation interval k (1: every critic step).
    gp_fraction : float
        Share of the batch the penalty is computed on, in (0, 1].
    group_weighting : GroupWeighting
        Weighting of group means in the losses.
    dro_step : float
        Step size of group-DRO.
    lr_g, lr_d : float
        Adam learning rates at the start of the run.
    lr_final : float
        Factor the learning rates reach at the end of the run (linear decay; 1: constant).
    betas : tuple of float
        Adam betas (WGAN-GP uses (0.5, 0.9)).
    batch_sampling : {"uniform", "stratified"}
        How batches are drawn (differential privacy always uses Poisson sampling).
    """

    generator_steps: int = 100
    n_critic: int = 1
    batch_size: int = 256
    lambda_gp: float | tuple[float, ...] = 1.0
    gp_target: float = 1.0
    gp_balance: Balance = "group"
    gp_every: int = 1
    gp_fraction: float = 1.0
    group_weighting: GroupWeighting = GroupWeighting.PROPORTIONAL
    dro_step: float = 0.01
    lr_g: float = 1e-3
    lr_d: float = 2e-3
    lr_final: float = 0.05
    betas: tuple[float, float] = (0.5, 0.9)
    batch_sampling: BatchSampling = "stratified"

    def __post_init__(self) -> None:
        for name in ("generator_steps", "n_critic", "batch_size", "gp_every"):
            _positive_int(name, getattr(self, name))
        lams = self.lambda_gp if isinstance(self.lambda_gp, tuple) else (self.lambda_gp,)
        for v in lams:
            _number("lambda_gp", v, low=0, strict=False)
        for name in ("gp_target", "lr_g", "lr_d"):
            _number(name, getattr(self, name), low=0, strict=True)
        _number("dro_step", self.dro_step, low=0, strict=False)
        if not 0 < self.gp_fraction <= 1:
            raise FieldError("gp_fraction", f"must be in (0, 1], got {self.gp_fraction!r}")
        if not 0 < self.lr_final <= 1:
            raise FieldError("lr_final", f"must be in (0, 1], got {self.lr_final!r}")
        if self.gp_balance not in BALANCES:
            raise FieldError("gp_balance", one_of(self.gp_balance, BALANCES))
        try:
            object.__setattr__(self, "group_weighting", GroupWeighting(self.group_weighting))
        except ValueError:
            names = tuple(w.value for w in GroupWeighting)
            raise FieldError("group_weighting", one_of(self.group_weighting, names)) from None
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise FieldError("betas", f"must be two numbers in [0, 1), got {self.betas!r}")
        if self.batch_sampling not in get_args(BatchSampling):
            raise FieldError("batch_sampling", one_of(self.batch_sampling, get_args(BatchSampling)))

    def penalty_schedule(self, *, private: bool = False) -> PenaltySchedule:
        """Which critic steps carry the penalty, and at what weight (``fedgan.losses``).

        Raises
        ------
        FieldError
            For ``gp_every`` > 1 or ``gp_fraction`` < 1 with ``private``.
        """
        return PenaltySchedule(
            self.lambda_gp,
            every=self.gp_every,
            fraction=self.gp_fraction,
            target=self.gp_target,
            balance=self.gp_balance,
            private=private,
        )

    def lr_factor(self, step: int, total_steps: int) -> float:
        """Linear decay from 1 at step 0 to ``lr_final`` at ``total_steps``."""
        frac = min(max(step / max(total_steps, 1), 0.0), 1.0)
        return 1.0 - (1.0 - self.lr_final) * frac
