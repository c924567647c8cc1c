"""Group weights of the losses: the schemes, and the reweighter that keeps them.

:class:`GroupReweighter` gives the ``w_g`` of :mod:`fedgan.losses` under one of the
:class:`GroupWeighting` schemes; the adaptive group-DRO scheme (Sagawa et al. 2020)
updates its weights from the per-group Wasserstein estimates.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from fedgan._checks import check_non_negative, check_not_string

__all__ = ["GroupReweighter", "GroupWeighting"]


class GroupWeighting(enum.StrEnum):
    """How group means are weighted in the losses.

    PROPORTIONAL
        ``w_g = p_g``: the pooled mean over rows, i.e. no reweighting.
    UNIFORM
        ``w_g = 1/G``: every group counts equally whatever its size.
    INVERSE_FREQUENCY
        ``w_g ∝ 1/p_g``, normalised: rarer groups count more than equally.
    GROUP_DRO
        Exponentiated-gradient weights ``w_g ∝ w_g · exp(η · W_g)`` on the
        per-group Wasserstein estimates ``W_g`` (Sagawa et al. 2020).
    """

    PROPORTIONAL = "proportional"
    UNIFORM = "uniform"
    INVERSE_FREQUENCY = "inverse-frequency"
    GROUP_DRO = "group-dro"


class GroupReweighter:
    """Group weights for the losses under a :class:`GroupWeighting` scheme.

    Parameters
    ----------
    scheme : GroupWeighting or str
        One of ``proportional``, ``uniform``, ``inverse-frequency``, ``group-dro``.
    counts : sequence of int or Tensor
        Rows per group in the client's data (defines ``p_g``). Groups with no
        rows get weight 0.
    step_size : float
        η of the group-DRO update (ignored by the static schemes).

    Examples
    --------
    >>> rw = GroupReweighter("inverse-frequency", counts=[90, 10])
    >>> [round(float(w), 2) for w in rw.weights]
    [0.1, 0.9]
    """

    def __init__(
        self,
        scheme: GroupWeighting | str,
        *,
        counts: Sequence[int] | Tensor | np.ndarray,
        step_size: float = 0.01,
    ) -> None:
        try:
            self.scheme = GroupWeighting(scheme)
        except ValueError:
            allowed = [s.value for s in GroupWeighting]
            raise ValueError(f"scheme must be one of {allowed}, got {scheme!r}") from None
        check_not_string("counts", counts)
        c = torch.as_tensor(np.asarray(counts, dtype=np.float64)).flatten()
        if c.numel() == 0 or not bool(torch.isfinite(c).all()) or bool((c < 0).any()):
            raise ValueError(f"counts must be finite and non-negative, got {c.tolist()}")
        if float(c.sum()) <= 0:
            raise ValueError(f"counts must have a positive total, got {c.tolist()}")
        self.step_size = check_non_negative("step_size", step_size)
        self.counts = c
        p = c / c.sum()
        present = c > 0
        if self.scheme is GroupWeighting.PROPORTIONAL:
            w = p
        elif self.scheme is GroupWeighting.INVERSE_FREQUENCY:
            w = torch.where(present, 1.0 / p.clamp(min=1e-300), torch.zeros_like(p))
        else:  # UNIFORM, and the starting point of GROUP_DRO
            w = present.double()
        self._weights = w / w.sum()

    @property
    def weights(self) -> Tensor:
        """Current ``[G]`` float32 weights, non-negative, summing to 1."""
        return self._weights.float()

    def state(self) -> np.ndarray:
        """The float64 weights, to save (group-DRO moves them)."""
        return self._weights.numpy().copy()

    def restore(self, weights: np.ndarray) -> None:
        """Put back weights saved by :meth:`state`."""
        w = torch.as_tensor(np.asarray(weights, dtype=np.float64)).flatten()
        if w.shape != self._weights.shape:
            raise ValueError(
                f"saved group weights have shape {tuple(w.shape)}, need {tuple(self._weights.shape)}"
            )
        self._weights = w

    def update(self, per_group_wasserstein: Tensor) -> Tensor:
        """Advance group-DRO one step; the static schemes ignore it.

        Parameters
        ----------
        per_group_wasserstein : Tensor
            ``[G]`` Wasserstein estimates (mean D(real)_g − mean D(fake)_g);
            NaN entries (group absent from the batch) leave that weight as is.

        Returns
        -------
        Tensor
            The new weights.
        """
        if self.scheme is not GroupWeighting.GROUP_DRO:
            return self.weights
        est = torch.as_tensor(per_group_wasserstein, dtype=torch.float64).detach().cpu().flatten()
        if est.numel() != self._weights.numel():
            raise ValueError(
                f"per_group_wasserstein must have {self._weights.numel()} values, got {est.numel()}"
            )
        step = torch.where(torch.isfinite(est), est, torch.zeros_like(est))
        logits = self._weights.clamp(min=1e-300).log() + self.step_size * step
        w = torch.where(self.counts > 0, torch.softmax(logits, 0), torch.zeros_like(logits))
        self._weights = w / w.sum()
        return self.weights
