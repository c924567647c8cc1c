"""Batch samplers: uniform with replacement, stratified by group, or Poisson (DP)."""

from __future__ import annotations

import torch
from torch import Tensor

from fedgan.training._config import BatchSampling
from fedgan.training._state import ClientData

__all__ = ["Batch", "BatchSampler"]


class Batch:
    """Rows of one batch: data, groups, and the generator's and critic's conditioning."""

    __slots__ = ("critic_labels", "groups", "labels", "sources", "x")

    def __init__(self, data: ClientData, idx: Tensor) -> None:
        self.x = data.x[idx]
        self.groups = data.groups[idx]
        self.labels = None if data.labels is None else data.labels[idx]
        self.sources = None if data.sources is None else data.sources[idx]
        self.critic_labels = None if data.critic_labels is None else data.critic_labels[idx]

    def __len__(self) -> int:
        return int(self.x.shape[0])


class BatchSampler:
    """Draw row indices of a client's data.

    Parameters
    ----------
    data : ClientData
        The rows.
    batch_size : int
        Rows per batch (the expected size under Poisson sampling).
    sampling : {"uniform", "stratified"}
        ``stratified`` draws ``batch_size`` rows of every group the client holds, so a
        small group's terms are estimated as well as a large one's.
    poisson_rate : float, optional
        When set, every row enters a batch independently with this probability
        (what the DP accountant assumes); overrides ``sampling``.
    rng : torch.Generator
        Source of randomness, on the data's device.
    """

    def __init__(
        self,
        data: ClientData,
        *,
        batch_size: int,
        sampling: BatchSampling,
        rng: torch.Generator,
        poisson_rate: float | None = None,
    ) -> None:
        self.data, self.batch_size, self.rng, self.rate = data, batch_size, rng, poisson_rate
        self.n = int(data.x.shape[0])
        self.strata: list[Tensor] = []
        if sampling == "stratified" and poisson_rate is None:
            counts = torch.bincount(data.groups, minlength=data.num_groups)
            present = [g for g in range(data.num_groups) if int(counts[g]) > 0]
            if len(present) > 1:
                self.strata = [torch.nonzero(data.groups == g).flatten() for g in present]

    def indices(self, rows: int | None = None) -> Tensor:
        """Indices of one batch (``rows`` overrides the size; not under Poisson)."""
        device = self.data.x.device
        if self.rate is not None and rows is None:
            mask = torch.rand(self.n, device=device, generator=self.rng) < self.rate
            return mask.nonzero().squeeze(1)
        b = rows or self.batch_size
        if not self.strata:
            return torch.randint(self.n, (b,), device=device, generator=self.rng)
        picks = [
            s[torch.randint(len(s), (b,), device=device, generator=self.rng)] for s in self.strata
        ]
        return torch.cat(picks)

    def batch(self, rows: int | None = None) -> Batch:
        """One batch of rows."""
        return Batch(self.data, self.indices(rows))
