"""Per-group statistics of one local training call."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from fedgan.losses import CriticObjective

__all__ = ["LocalStats", "StatsAccumulator"]


@dataclass
class LocalStats:
    """Per-group statistics of one local training call (NumPy, ``[num_groups]``).

    Attributes
    ----------
    count : np.ndarray
        Rows per group the client holds.
    wasserstein : np.ndarray
        Mean critic estimate ``mean D(real)_g − mean D(fake)_g``; NaN if never seen.
    grad_norm : np.ndarray
        Mean ‖∇D(x̂)‖ on the penalty's interpolates.
    gp : np.ndarray
        Mean penalty per group (λ_g included, lazy gain divided out).
    group_weight : np.ndarray
        The loss weights ``w_g`` at the end.
    loss_d, loss_g : float
        Mean critic and generator losses.
    """

    count: np.ndarray
    wasserstein: np.ndarray
    grad_norm: np.ndarray
    gp: np.ndarray
    group_weight: np.ndarray
    loss_d: float
    loss_g: float


class StatsAccumulator:
    """Sums of per-step diagnostics on the data's device (no host sync per step)."""

    def __init__(self, num_groups: int, device: torch.device, gain: int) -> None:
        z = torch.zeros(num_groups, device=device, dtype=torch.float64)
        self.w_sum, self.w_n, self.gn_sum, self.gp_sum, self.gp_n = (z.clone() for _ in range(5))
        self.loss_d = torch.zeros((), device=device, dtype=torch.float64)
        self.loss_g = torch.zeros((), device=device, dtype=torch.float64)
        self.d_steps = self.g_steps = 0
        self.gain = gain

    def critic(self, out: CriticObjective) -> None:
        """Add one critic step."""
        self.d_steps += 1
        self.loss_d += out.loss.detach().double()
        self.w_sum += torch.nan_to_num(out.wasserstein)
        self.w_n += torch.isfinite(out.wasserstein).double()
        if out.penalty is not None:
            seen = out.penalty.count > 0
            self.gn_sum += torch.where(seen, out.penalty.grad_norm.double(), 0.0)
            self.gp_sum += torch.where(seen, out.penalty.per_group.double() / self.gain, 0.0)
            self.gp_n += seen.double()

    def generator(self, loss: Tensor) -> None:
        """Add one generator step."""
        self.g_steps += 1
        self.loss_g += loss.detach().double()

    def result(self, counts: np.ndarray, group_weight: np.ndarray) -> LocalStats:
        """Means over the steps taken (NaN for groups never seen)."""

        def mean(total: Tensor, n: Tensor) -> np.ndarray:
            out = (total / n.clamp(min=1)).cpu().numpy()
            out[n.cpu().numpy() == 0] = np.nan
            return out

        return LocalStats(
            count=counts,
            wasserstein=mean(self.w_sum, self.w_n),
            grad_norm=mean(self.gn_sum, self.gp_n),
            gp=mean(self.gp_sum, self.gp_n),
            group_weight=group_weight,
            loss_d=float(self.loss_d) / max(self.d_steps, 1),
            loss_g=float(self.loss_g) / max(self.g_steps, 1),
        )
