"""A client's rows as tensors, and what a client keeps between rounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from fedgan._checks import check_index
from fedgan.losses import GroupReweighter
from fedgan.models import Critic, Generator
from fedgan.training._config import TrainConfig

if TYPE_CHECKING:
    from fedgan.privacy import GeneratorGradientPrivacy, PrivateCritic

__all__ = ["ClientData", "LocalState", "resolve_device"]


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
class ClientData:
    """One client's rows as tensors, in the models' space.

    Attributes
    ----------
    x : Tensor
        ``[N, *data_shape]`` float rows.
    groups : Tensor
        ``[N]`` int64 group ids in ``[0, num_groups)``.
    labels : Tensor or None
        ``[N]`` int64 labels the generator conditions on, or ``None``.
    num_groups : int
        Number of groups in the whole federation (not just this client).
    sources : Tensor or None
        ``[N]`` int64 generator source of each row (client-conditional federation).
    critic_labels : Tensor or None
        ``[N]`` labels the critic conditions on (default: ``labels``).
    """

    x: Tensor
    groups: Tensor
    labels: Tensor | None
    num_groups: int
    sources: Tensor | None = None
    critic_labels: Tensor | None = None

    def __post_init__(self) -> None:
        if self.x.shape[0] == 0:
            raise ValueError("x is empty: a client needs at least one row")
        n = self.x.shape[0]
        check_index("groups", self.groups, n, upper=self.num_groups)
        for name in ("labels", "sources", "critic_labels"):
            if getattr(self, name) is not None:
                check_index(name, getattr(self, name), n)
        if self.critic_labels is None and self.labels is not None:
            object.__setattr__(self, "critic_labels", self.labels)

    @property
    def paired(self) -> bool:
        """Whether generated rows are made for a row's group (labels or sources)."""
        return self.labels is not None or self.sources is not None

    def to(self, device: torch.device) -> ClientData:
        """Copy to ``device`` once (training then never moves data)."""

        def mv(t: Tensor | None) -> Tensor | None:
            return None if t is None else t.to(device)

        return ClientData(
            self.x.to(device),
            self.groups.to(device),
            mv(self.labels),
            self.num_groups,
            sources=mv(self.sources),
            critic_labels=mv(self.critic_labels),
        )

    def group_counts(self) -> np.ndarray:
        """Rows per group, ``[num_groups]``."""
        return torch.bincount(self.groups.cpu(), minlength=self.num_groups).numpy()


@dataclass
class LocalState:
    """What a client keeps between rounds: its critic, both optimisers, group weights.

    Create it with :meth:`create`; the generator optimiser is bound to a generator with
    :meth:`bind_generator` each round (the round's generator is a fresh module).
    """

    critic: Critic
    critic_optimizer: torch.optim.Optimizer
    reweighter: GroupReweighter
    config: TrainConfig
    generator_optimizer: torch.optim.Optimizer | None = None
    steps: int = 0
    generator_steps: int = 0
    private: PrivateCritic | None = None
    generator_privacy: GeneratorGradientPrivacy | None = None

    @classmethod
    def create(cls, critic: Critic, data: ClientData, config: TrainConfig) -> LocalState:
        """Build the critic's Adam (lazy-regularisation-adjusted) and the group weights."""
        c = config.penalty_schedule().adam_power
        opt = torch.optim.Adam(
            critic.parameters(),
            lr=config.lr_d * c,
            betas=(config.betas[0] ** c, config.betas[1] ** c),
        )
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
        rw = GroupReweighter(
            config.group_weighting, counts=data.group_counts(), step_size=config.dro_step
        )
        return cls(critic=critic, critic_optimizer=opt, reweighter=rw, config=config)

    def bind_generator(self, generator: Generator) -> torch.optim.Optimizer:
        """A fresh Adam over ``generator`` (call :func:`restore` style loaders after it)."""
        opt = torch.optim.Adam(generator.parameters(), lr=self.config.lr_g, betas=self.config.betas)
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
        self.generator_optimizer = opt
        return opt
