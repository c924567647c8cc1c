"""The WGAN-GP objective with group-reweighted terms, written once.

Every term of the objective is a weighted sum over rows. With ``n_g`` rows of group g
in the batch and group weights ``w_g`` (renormalised over the groups present), row i
of group g carries ``a_i = w_g / n_g``, so ``Σ_i a_i D(x_i) = Σ_g w_g · mean_g D``:

* critic:     ``Σ_i b_i D(fake_i) − Σ_i a_i D(real_i) + Σ_i c_i (‖∇D(x̂_i)‖ − t)²``
* generator:  ``−Σ_i b_i D(fake_i)``

``b_i = a_i`` when fake row i was generated for row i's group (conditional or
client-conditional models), else ``1/B``. The penalty's ``c_i`` carries ``λ_{g(i)}``
and the penalty's balance (every group equally, or every row equally).
:func:`row_weights` makes ``a``, ``b`` and ``c``; the plain training step
(:func:`critic_objective`, :func:`generator_objective`), the differentially private
per-sample step (each row's own term) and the score-level :func:`critic_loss` /
:func:`generator_loss` all use them. :class:`GroupReweighter` chooses ``w_g``;
:class:`PenaltySchedule` says which critic steps carry the penalty and at what weight
(lazy regularisation, a share of the batch, and what differential privacy refuses).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from fedgan._checks import check_floating, check_index, check_not_string
from fedgan._reweighting import GroupReweighter, GroupWeighting
from fedgan._schedule import PenaltySchedule, PenaltyTerm
from fedgan.choices import Balance
from fedgan.penalties import GroupPenalty, penalty_terms

__all__ = [
    "BatchGroups",
    "CriticObjective",
    "GroupReweighter",
    "GroupWeighting",
    "PenaltySchedule",
    "PenaltyTerm",
    "RowWeights",
    "critic_loss",
    "critic_objective",
    "generator_loss",
    "generator_objective",
    "generator_row_terms",
    "group_means",
    "row_weights",
]


def _group_row_weights(groups: Tensor, weights: Tensor, num_groups: int) -> Tensor:
    """``a_i = w̃_g / n_g`` with ``w̃`` renormalised over the groups present (no checks)."""
    count = torch.bincount(groups, minlength=num_groups).to(weights.dtype)
    w = torch.where(count > 0, weights, torch.zeros_like(weights))
    per_group = w / (w.sum() * count.clamp(min=1))
    return per_group[groups]


@dataclass(frozen=True)
class RowWeights:
    """Per-row coefficients of the objective (see the module docstring).

    Attributes
    ----------
    real, fake : Tensor
        ``[B]`` ``a_i`` and ``b_i``; each sums to 1.
    penalty : Tensor
        ``[B]`` ``c_i`` (λ included).
    """

    real: Tensor
    fake: Tensor
    penalty: Tensor


def row_weights(
    groups: Tensor,
    *,
    num_groups: int,
    group_weights: Tensor,
    paired: bool,
    lambdas: Tensor | None = None,
    balance: Balance = "group",
) -> RowWeights:
    """Coefficients ``a``, ``b``, ``c`` of a batch (unvalidated: training loops call it).

    Parameters
    ----------
    groups : Tensor
        ``[B]`` int64 group of each row.
    num_groups : int
        G.
    group_weights : Tensor
        ``[G]`` non-negative weights ``w_g``.
    paired : bool
        Whether fake row i was generated for row i's group.
    lambdas : Tensor, optional
        ``[G]`` penalty weights (``None``: no penalty, ``c = 0``).
    balance : {"group", "sample"}
        Penalty balance: every group present counts equally, or every row.

    Returns
    -------
    RowWeights
    """
    w = group_weights.to(dtype=torch.float32, device=groups.device)
    a = _group_row_weights(groups, w, num_groups)
    b = a if paired else torch.full_like(a, 1.0 / groups.shape[0])
    if lambdas is None:
        return RowWeights(real=a, fake=b, penalty=torch.zeros_like(a))
    lam = lambdas.to(dtype=a.dtype, device=a.device)
    if balance == "group":
        c = _group_row_weights(groups, torch.ones_like(lam), num_groups) * lam[groups]
    else:
        c = lam[groups] / groups.shape[0]
    return RowWeights(real=a, fake=b, penalty=c)


@dataclass(frozen=True)
class BatchGroups:
    """Who a batch's rows are and how they count in the objective.

    Attributes
    ----------
    groups : Tensor
        ``[B]`` group of each real row (and of its fake partner when ``paired``).
    labels : Tensor or None
        ``[B]`` labels the critic conditions on.
    num_groups : int
        G.
    weights : Tensor
        ``[G]`` loss weights ``w_g``.
    paired : bool
        Whether ``fake[i]`` was generated for ``groups[i]``.
    """

    groups: Tensor
    labels: Tensor | None
    num_groups: int
    weights: Tensor
    paired: bool

    def row_weights(self, lambdas: Tensor | None = None, balance: Balance = "group") -> RowWeights:
        """The batch's :class:`RowWeights` (see :func:`row_weights`)."""
        return row_weights(
            self.groups,
            num_groups=self.num_groups,
            group_weights=self.weights,
            paired=self.paired,
            lambdas=lambdas,
            balance=balance,
        )


@dataclass(frozen=True)
class CriticObjective:
    """One critic step's objective and what it reports.

    Attributes
    ----------
    loss : Tensor
        Scalar to minimise (differentiable).
    wasserstein : Tensor
        ``[G]`` float64 ``mean D(real)_g − mean D(fake)_g``, detached; NaN for absent groups.
    penalty : GroupPenalty or None
        The penalty's diagnostics when it ran.
    """

    loss: Tensor
    wasserstein: Tensor
    penalty: GroupPenalty | None


def critic_objective(
    critic: Callable[..., Tensor],
    real: Tensor,
    fake: Tensor,
    rows: BatchGroups,
    *,
    penalty: PenaltyTerm | None,
    rng: torch.Generator | None = None,
) -> CriticObjective:
    """The group-reweighted critic objective of one batch (inputs trusted: validated upstream).

    Parameters
    ----------
    critic : callable
        ``critic(x)`` or ``critic(x, labels)``.
    real, fake : Tensor
        ``[B, ...]`` batches; ``fake`` detached from the generator.
    rows : BatchGroups
        The rows' groups, the critic's labels and the group weights.
    penalty : PenaltyTerm or None
        The gradient penalty of this step, if any.
    rng : torch.Generator, optional
        Source of the interpolation coefficients.

    Returns
    -------
    CriticObjective
    """
    groups, labels, num_groups = rows.groups, rows.labels, rows.num_groups
    d_real, d_fake = critic(real, labels).reshape(-1), critic(fake, labels).reshape(-1)
    rw = rows.row_weights()
    loss = (rw.fake * d_fake).sum() - (rw.real * d_real).sum()
    res = None
    if penalty is not None:
        m = max(1, int(np.ceil(penalty.fraction * real.shape[0])))
        res = penalty_terms(
            critic,
            real[:m],
            fake[:m],
            groups[:m],
            labels=None if labels is None else labels[:m],
            lambdas=penalty.lambdas,
            target=penalty.target,
            balance=penalty.balance,
            num_groups=num_groups,
            rng=rng,
        )
        loss = loss + res.penalty
    with torch.no_grad():
        real_m, present = _group_means(d_real, groups, num_groups)
        fake_m = _group_means(d_fake, groups, num_groups)[0] if rows.paired else d_fake.mean()
        est = torch.where(present, (real_m - fake_m).double(), float("nan"))
    return CriticObjective(loss=loss, wasserstein=est, penalty=res)


def generator_objective(critic: Callable[..., Tensor], fake: Tensor, rows: BatchGroups) -> Tensor:
    """``−Σ_i b_i D(fake_i)``: the generator's side of :func:`critic_objective`."""
    return generator_row_terms(critic, fake, rows).sum()


def generator_row_terms(critic: Callable[..., Tensor], fake: Tensor, rows: BatchGroups) -> Tensor:
    """``[B]`` terms ``−b_i D(fake_i)`` of :func:`generator_objective`, one per generated row."""
    d_fake = critic(fake, rows.labels).reshape(-1)
    return -(rows.row_weights().fake * d_fake)


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


def _checked_weights(
    group_weights: Tensor | Sequence[float] | None, num_groups: int, like: Tensor
) -> Tensor:
    if group_weights is None:
        return torch.full((num_groups,), 1.0 / num_groups, dtype=like.dtype, device=like.device)
    check_not_string("group_weights", group_weights)
    w = torch.as_tensor(group_weights, dtype=like.dtype, device=like.device).detach().flatten()
    if w.numel() != num_groups:
        raise ValueError(
            f"group_weights must have one value per group ({num_groups}), got {w.numel()}"
        )
    if not bool(torch.isfinite(w).all()) or bool((w < 0).any()):
        raise ValueError(f"group_weights must be finite and >= 0, got {w.tolist()}")
    return w


def _score_weights(
    scores: Tensor, groups: Tensor, group_weights: Tensor | Sequence[float] | None, n: int
) -> Tensor:
    groups = check_index("groups", groups, scores.reshape(-1).shape[0], upper=n).to(scores.device)
    w = _checked_weights(group_weights, n, scores)
    if float(torch.where(torch.bincount(groups, minlength=n) > 0, w, 0.0).sum()) <= 0:
        raise ValueError("group_weights are zero for every group present in the batch")
    return _group_row_weights(groups, w, n)


def _num_groups(groups: Tensor, group_weights: Tensor | Sequence[float] | None) -> int:
    if group_weights is not None:
        check_not_string("group_weights", group_weights)
        return int(torch.as_tensor(group_weights).numel())
    return int(groups.max()) + 1


def _check_scores(name: str, scores: object) -> Tensor:
    s = check_floating(name, scores)
    if not bool(torch.isfinite(s).all()):
        raise ValueError(f"{name} contains NaN or inf")
    return s


def critic_loss(
    d_real: Tensor,
    d_fake: Tensor,
    groups: Tensor | None = None,
    *,
    fake_groups: Tensor | None = None,
    group_weights: Tensor | Sequence[float] | None = None,
) -> Tensor:
    """Critic loss ``Σ_g w_g (mean D(fake)_g − mean D(real)_g)`` from critic scores.

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

    Examples
    --------
    >>> import torch
    >>> d_real = torch.tensor([1.0, 1.0, 1.0, 10.0])
    >>> float(critic_loss(d_real, torch.tensor([3.0]), torch.tensor([0, 0, 0, 1])))
    -2.5
    """
    d_real, d_fake = _check_scores("d_real", d_real), _check_scores("d_fake", d_fake)
    if groups is None:
        if fake_groups is not None or group_weights is not None:
            raise ValueError("fake_groups and group_weights need groups; pass groups too")
        return d_fake.mean() - d_real.mean()
    n = _num_groups(groups, group_weights)
    a = _score_weights(d_real, groups, group_weights, n)
    real_term = (a * d_real.reshape(-1)).sum()
    if fake_groups is None:
        return d_fake.mean() - real_term
    b = _score_weights(d_fake, fake_groups, group_weights, n)
    return (b * d_fake.reshape(-1)).sum() - real_term


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
    d_fake = _check_scores("d_fake", d_fake)
    if groups is None:
        if group_weights is not None:
            raise ValueError("group_weights needs groups; pass groups too")
        return -d_fake.mean()
    n = _num_groups(groups, group_weights)
    return -(_score_weights(d_fake, groups, group_weights, n) * d_fake.reshape(-1)).sum()
