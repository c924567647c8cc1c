"""Group-reweighted Wasserstein losses and group-weighting schemes.

``critic_loss`` and ``generator_loss`` average the critic's scores per group
and combine the group means with weights ``w_g``. With no groups they are the
plain WGAN losses. :class:`GroupReweighter` produces the weights under one of
the :class:`GroupWeighting` schemes; the adaptive group-DRO scheme (Sagawa et
al. 2020) updates its weights from the per-group Wasserstein estimates.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from fedgan._checks import check_floating, check_index, check_non_negative

__all__ = [
    "GroupReweighter",
    "GroupWeighting",
    "critic_loss",
    "generator_loss",
    "group_means",
]


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


def group_means(values: Tensor, groups: Tensor, num_groups: int) -> tuple[Tensor, Tensor]:
    """Mean of ``values`` per group and a mask of groups present.

    Parameters
    ----------
    values : Tensor
        ``[B]`` (or ``[B, 1]``) scores.
    groups : Tensor
        ``[B]`` integer group ids in ``[0, num_groups)``.
    num_groups : int
        Number of groups G.

    Returns
    -------
    means, present : Tensor
        ``[G]`` means (0 where absent, differentiable) and ``[G]`` bool mask.
    """
    v = values.reshape(-1)
    groups = check_index("groups", groups, v.shape[0], upper=num_groups).to(v.device)
    return _group_means(v, groups, num_groups)


def _group_means(v: Tensor, groups: Tensor, num_groups: int) -> tuple[Tensor, Tensor]:
    count = torch.bincount(groups, minlength=num_groups)
    sums = torch.zeros(num_groups, dtype=v.dtype, device=v.device).index_add(0, groups, v)
    return sums / count.clamp(min=1).to(v.dtype), count > 0


def _weights(
    group_weights: Tensor | Sequence[float] | None, num_groups: int, like: Tensor
) -> Tensor:
    if group_weights is None:
        return torch.full((num_groups,), 1.0 / num_groups, dtype=like.dtype, device=like.device)
    w = torch.as_tensor(group_weights, dtype=like.dtype, device=like.device).detach().flatten()
    if w.numel() != num_groups:
        raise ValueError(
            f"group_weights must have one value per group ({num_groups}), got {w.numel()}"
        )
    if not bool(torch.isfinite(w).all()) or bool((w < 0).any()):
        raise ValueError(f"group_weights must be finite and >= 0, got {w.tolist()}")
    return w


def combine_group_means(means: Tensor, present: Tensor, weights: Tensor) -> Tensor:
    """``Σ_g w_g m_g / Σ_g w_g`` over the groups present (unvalidated, no device sync)."""
    w = torch.where(present, weights, torch.zeros_like(weights))
    return (w * means).sum() / w.sum()


def _weighted_mean(
    scores: Tensor, groups: Tensor, group_weights: Tensor | Sequence[float] | None, num_groups: int
) -> Tensor:
    means, present = group_means(scores, groups, num_groups)
    w = _weights(group_weights, num_groups, means)
    if float(torch.where(present, w, torch.zeros_like(w)).sum()) <= 0:
        raise ValueError("group_weights are zero for every group present in the batch")
    return combine_group_means(means, present, w)


def _num_groups(groups: Tensor, group_weights: Tensor | Sequence[float] | None) -> int:
    if group_weights is not None:
        return int(torch.as_tensor(group_weights).numel())
    return int(groups.max()) + 1


def critic_loss(
    d_real: Tensor,
    d_fake: Tensor,
    groups: Tensor | None = None,
    *,
    fake_groups: Tensor | None = None,
    group_weights: Tensor | Sequence[float] | None = None,
) -> Tensor:
    """Critic loss ``Σ_g w_g (mean D(fake)_g − mean D(real)_g)``.

    Parameters
    ----------
    d_real, d_fake : Tensor
        Critic scores on real and generated rows.
    groups : Tensor, optional
        ``[B]`` group of each real row. Without it: ``mean D(fake) − mean D(real)``.
    fake_groups : Tensor, optional
        Group of each fake row. In the conditional case a fake row carries its
        real partner's group (pass ``groups``); otherwise leave it ``None`` and
        the fake term is the plain mean.
    group_weights : Tensor or sequence of float, optional
        ``w_g ≥ 0`` per group (default uniform); renormalised over the groups
        present in the batch.

    Returns
    -------
    Tensor
        Scalar loss to minimise.
    """
    check_floating("d_real", d_real)
    check_floating("d_fake", d_fake)
    if groups is None:
        if fake_groups is not None or group_weights is not None:
            raise ValueError("fake_groups and group_weights need groups; pass groups too")
        return d_fake.mean() - d_real.mean()
    n = _num_groups(groups, group_weights)
    real_term = _weighted_mean(d_real, groups, group_weights, n)
    fake_term = (
        d_fake.mean()
        if fake_groups is None
        else _weighted_mean(d_fake, fake_groups, group_weights, n)
    )
    return fake_term - real_term


def generator_loss(
    d_fake: Tensor,
    groups: Tensor | None = None,
    *,
    group_weights: Tensor | Sequence[float] | None = None,
) -> Tensor:
    """Generator loss ``−Σ_g w_g mean D(fake)_g`` (``−mean D(fake)`` without groups).

    Parameters
    ----------
    d_fake : Tensor
        Critic scores on generated rows.
    groups : Tensor, optional
        ``[B]`` group each fake row was generated for.
    group_weights : Tensor or sequence of float, optional
        ``w_g ≥ 0`` per group (default uniform).

    Returns
    -------
    Tensor
        Scalar loss to minimise.
    """
    check_floating("d_fake", d_fake)
    if groups is None:
        if group_weights is not None:
            raise ValueError("group_weights needs groups; pass groups too")
        return -d_fake.mean()
    return -_weighted_mean(d_fake, groups, group_weights, _num_groups(groups, group_weights))


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
        c = torch.as_tensor(counts, dtype=torch.float64).flatten()
        if c.numel() == 0 or bool((c < 0).any()) or float(c.sum()) <= 0:
            raise ValueError(f"counts must be non-negative with a positive total, got {c.tolist()}")
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
