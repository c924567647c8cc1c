"""Types of local training: configuration, a client's data, its critic state, statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from torch import Tensor

from fedgan._checks import check_index, check_non_negative, check_positive
from fedgan.losses import GroupReweighter, GroupWeighting
from fedgan.models import Critic
from fedgan.penalties import Balance

if TYPE_CHECKING:
    from fedgan.privacy import GeneratorGradientPrivacy, PrivateCritic

__all__ = ["ClientData", "CriticState", "LocalStats", "TrainConfig", "resolve_device"]

DeviceChoice = Literal["auto", "cpu", "cuda"]


def resolve_device(device: str) -> torch.device:
    """Map ``auto``/``cpu``/``cuda[:i]`` to a device; ``auto`` picks CUDA when present."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu" or device.startswith("cuda"):
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device {device!r} requested but CUDA is not available")
        return torch.device(device)
    raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:index]', got {device!r}")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of local training (validated on construction).

    Attributes
    ----------
    generator_steps : int
        Generator updates per call of :func:`train_local`.
    n_critic : int
        Critic updates per generator update.
    batch_size : int
        Rows per critic/generator batch (sampled with replacement).
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
        Adam learning rates.
    betas : tuple of float
        Adam betas (WGAN-GP uses (0.5, 0.9)).
    """

    generator_steps: int = 50
    n_critic: int = 5
    batch_size: int = 256
    lambda_gp: float | tuple[float, ...] = 10.0
    gp_target: float = 1.0
    gp_balance: Balance = "group"
    gp_every: int = 1
    gp_fraction: float = 1.0
    group_weighting: GroupWeighting = GroupWeighting.UNIFORM
    dro_step: float = 0.01
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.9)

    def __post_init__(self) -> None:
        for name in ("generator_steps", "n_critic", "batch_size", "gp_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        lams = self.lambda_gp if isinstance(self.lambda_gp, tuple) else (self.lambda_gp,)
        for v in lams:
            check_non_negative("lambda_gp", v)
        check_positive("gp_target", self.gp_target)
        if not 0 < self.gp_fraction <= 1:
            raise ValueError(f"gp_fraction must be in (0, 1], got {self.gp_fraction!r}")
        if self.gp_balance not in ("group", "sample"):
            raise ValueError(f"gp_balance must be 'group' or 'sample', got {self.gp_balance!r}")
        object.__setattr__(self, "group_weighting", GroupWeighting(self.group_weighting))
        check_non_negative("dro_step", self.dro_step)
        check_positive("lr_g", self.lr_g)
        check_positive("lr_d", self.lr_d)
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")


@dataclass(frozen=True)
class ClientData:
    """One client's rows as tensors.

    Attributes
    ----------
    x : Tensor
        ``[N, *data_shape]`` float rows.
    groups : Tensor
        ``[N]`` int64 group ids in ``[0, num_groups)``.
    labels : Tensor or None
        ``[N]`` int64 conditioning labels, or ``None`` for unconditional models.
    num_groups : int
        Number of groups in the whole federation (not just this client).
    """

    x: Tensor
    groups: Tensor
    labels: Tensor | None
    num_groups: int

    def __post_init__(self) -> None:
        if self.x.shape[0] == 0:
            raise ValueError("x is empty: a client needs at least one row")
        check_index("groups", self.groups, self.x.shape[0], upper=self.num_groups)
        if self.labels is not None:
            check_index("labels", self.labels, self.x.shape[0])

    def to(self, device: torch.device) -> ClientData:
        """Copy to ``device`` once (training then never moves data)."""
        labels = None if self.labels is None else self.labels.to(device)
        return ClientData(self.x.to(device), self.groups.to(device), labels, self.num_groups)

    def group_counts(self) -> np.ndarray:
        """Rows per group, ``[num_groups]``."""
        return torch.bincount(self.groups.cpu(), minlength=self.num_groups).numpy()


@dataclass
class CriticState:
    """A client's persistent critic, its optimiser and its group weights."""

    critic: Critic
    optimizer: torch.optim.Optimizer
    reweighter: GroupReweighter
    steps: int = 0
    private: PrivateCritic | None = None
    generator_privacy: GeneratorGradientPrivacy | None = None

    @classmethod
    def create(cls, critic: Critic, data: ClientData, config: TrainConfig) -> CriticState:
        """Build the optimiser (lazy-regularisation-adjusted Adam) and group weights."""
        c = config.gp_every / (config.gp_every + 1) if config.gp_every > 1 else 1.0
        opt = torch.optim.Adam(
            critic.parameters(),
            lr=config.lr_d * c,
            betas=(config.betas[0] ** c, config.betas[1] ** c),
        )
        rw = GroupReweighter(
            config.group_weighting, counts=data.group_counts(), step_size=config.dro_step
        )
        return cls(critic=critic, optimizer=opt, reweighter=rw)


@dataclass
class LocalStats:
    """Per-group statistics of one local training call (NumPy, ``[num_groups]``)."""

    count: np.ndarray
    wasserstein: np.ndarray
    grad_norm: np.ndarray
    gp: np.ndarray
    group_weight: np.ndarray
    loss_d: float
    loss_g: float
    extra: dict[str, float] = field(default_factory=dict)
