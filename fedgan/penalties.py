"""Gradient penalties for Wasserstein critics: pooled, group-aware and R1.

All three work in any PyTorch loop; nothing here knows about Flower.

``gradient_penalty`` is WGAN-GP (Gulrajani et al. 2017).
``group_gradient_penalty`` assigns every interpolate to the group of its real
endpoint and lets each group count equally (``balance="group"``) or as its
share of the batch (``balance="sample"``), with one λ per group if wanted.
With ``labels`` the critic is conditional and real/fake rows are paired by
index, so interpolates stay inside one class: the per-class penalty.
``r1_penalty`` is the zero-centred penalty on real data (Mescheder et al. 2018).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from fedgan._checks import (
    check_finite_rows,
    check_index,
    check_lambda,
    check_pair,
    check_positive,
    group_lambdas,
    infer_num_groups,
    reject_batchnorm,
)
from fedgan.choices import BALANCES, Balance, allowed

__all__ = [
    "Balance",
    "GroupPenalty",
    "gradient_penalty",
    "group_gradient_penalty",
    "input_gradient_norms",
    "penalty_terms",
    "r1_penalty",
]

CriticFn = Callable[..., Tensor]
"""Any critic: called as ``critic(x)`` or ``critic(x, labels)`` (not only :class:`fedgan.models.Critic`)."""


@dataclass(frozen=True)
class GroupPenalty:
    """Result of :func:`group_gradient_penalty`.

    Attributes
    ----------
    penalty : Tensor
        Scalar, differentiable w.r.t. the critic's parameters.
    per_group : Tensor
        ``[num_groups]``, detached: ``λ_g · mean_{i∈g} (‖∇D(x̂_i)‖ − target)²``;
        NaN where a group has no row in the batch.
    grad_norm : Tensor
        ``[num_groups]``, detached mean ‖∇D(x̂)‖ per group; NaN where absent.
    count : Tensor
        ``[num_groups]`` int64, rows per group in the batch.
    """

    penalty: Tensor
    per_group: Tensor
    grad_norm: Tensor
    count: Tensor


def _call(critic: CriticFn, x: Tensor, labels: Tensor | None) -> Tensor:
    out = critic(x) if labels is None else critic(x, labels)
    if not isinstance(out, Tensor) or out.numel() != x.shape[0]:
        shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        raise ValueError(f"critic must return one score per row ({x.shape[0]} values), got {shape}")
    return out


def input_gradient_norms(critic: CriticFn, x: Tensor, labels: Tensor | None = None) -> Tensor:
    """Per-row ‖∇_x D(x)‖₂ with the graph kept, so it can be penalised.

    Parameters
    ----------
    critic : callable
        ``critic(x)`` or ``critic(x, labels)``; one score per row.
    x : Tensor
        ``[B, ...]`` inputs; must require grad or be a leaf that can.
    labels : Tensor, optional
        Conditioning labels passed as the critic's second argument.

    Returns
    -------
    Tensor
        ``[B]`` gradient norms, differentiable (``create_graph=True``).
    """
    if not x.requires_grad:
        x = x.requires_grad_(True)
    out = _call(critic, x, labels)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.flatten(1).norm(2, dim=1)


def _interpolate(real: Tensor, fake: Tensor, rng: torch.Generator | None) -> Tensor:
    # ε has the generator's device; drawing on the data's device keeps CUDA on CUDA.
    eps = torch.rand(real.shape[0], device=real.device, dtype=real.dtype, generator=rng)
    eps = eps.view(-1, *([1] * (real.dim() - 1)))
    x_hat = eps * real.detach() + (1 - eps) * fake.detach()
    return x_hat.requires_grad_(True)


def _deviation(norms: Tensor, target: float, one_sided: bool) -> Tensor:
    d = norms - target
    return d.clamp(min=0).square() if one_sided else d.square()


def _check_labels(labels: Tensor | None, batch: int) -> Tensor | None:
    return None if labels is None else check_index("labels", labels, batch)


def gradient_penalty(
    critic: CriticFn,
    real: Tensor,
    fake: Tensor,
    *,
    labels: Tensor | None = None,
    lambda_gp: float = 10.0,
    target: float = 1.0,
    one_sided: bool = False,
    rng: torch.Generator | None = None,
) -> Tensor:
    """WGAN-GP penalty ``λ · E[(‖∇D(x̂)‖ − target)²]`` on real/fake interpolates.

    Parameters
    ----------
    critic : callable
        Called as ``critic(x̂)``, or ``critic(x̂, labels)`` when ``labels`` is given.
    real, fake : Tensor
        ``[B, ...]`` batches of the same shape, paired by row. Both are detached.
    labels : Tensor, optional
        ``[B]`` integer class labels (conditional critic).
    lambda_gp : float
        Penalty weight λ ≥ 0; 10 is WGAN-GP's value for data at its natural scale (fedgan's
        runs, on standardised rows, use 1: docs/penalties.md).
    target : float
        Target norm (> 0); use ``c`` for data rescaled by a factor ``c``.
    one_sided : bool
        Penalise only norms above ``target``: ``max(0, ‖∇‖ − target)²``.
    rng : torch.Generator, optional
        Source of ε ~ U(0, 1), for reproducible interpolates.

    Returns
    -------
    Tensor
        Scalar penalty with a graph to the critic's parameters.

    Examples
    --------
    >>> import torch
    >>> critic = torch.nn.Linear(2, 1)
    >>> gp = gradient_penalty(critic, torch.randn(8, 2), torch.randn(8, 2))
    >>> gp.backward()
    """
    real, fake = check_pair(real, fake)
    lam = check_lambda("lambda_gp", lambda_gp)
    target = check_positive("target", target)
    labels = _check_labels(labels, real.shape[0])
    reject_batchnorm(critic)
    norms = input_gradient_norms(critic, _interpolate(real, fake, rng), labels)
    if not bool(torch.isfinite(norms).all()):
        raise FloatingPointError("non-finite gradient norm on interpolates")
    return lam * _deviation(norms, target, one_sided).mean()


def group_gradient_penalty(
    critic: CriticFn,
    real: Tensor,
    fake: Tensor,
    groups: Tensor,
    *,
    labels: Tensor | None = None,
    lambda_gp: float | Sequence[float] | Tensor = 10.0,
    target: float = 1.0,
    balance: Balance = "group",
    num_groups: int | None = None,
    one_sided: bool = False,
    rng: torch.Generator | None = None,
) -> GroupPenalty:
    """Group-aware WGAN-GP penalty.

    Interpolate ``x̂_i = ε_i real_i + (1 − ε_i) fake_i`` belongs to group
    ``groups[i]`` (its real endpoint's group). With ``balance="group"``::

        penalty = Σ_{g present} λ_g · mean_{i∈g} (‖∇D(x̂_i)‖ − target)² / G_present

    so a group of 3 rows weighs as much as a group of 300. With
    ``balance="sample"`` it is ``mean_i λ_{g(i)} (‖∇D(x̂_i)‖ − target)²``, which
    for a single λ equals :func:`gradient_penalty` with the same ε.

    Parameters
    ----------
    critic : callable
        ``critic(x̂)`` or ``critic(x̂, labels)``; one score per row.
    real, fake : Tensor
        ``[B, ...]``, paired by row (in the conditional case ``fake[i]`` was
        generated with ``labels[i]``, so interpolates never cross classes).
    groups : Tensor
        ``[B]`` integer group ids in ``[0, num_groups)``.
    labels : Tensor, optional
        ``[B]`` integer class labels for a conditional critic.
    lambda_gp : float or sequence of float or Tensor
        One λ ≥ 0, or one per group (length ``num_groups``); the default 10 is WGAN-GP's
        (fedgan's runs use 1: docs/penalties.md).
    target : float
        Target gradient norm (> 0).
    balance : {"group", "sample"}
        How rows are averaged (see above).
    num_groups : int, optional
        Defaults to ``len(lambda_gp)`` if it is a sequence, else ``max(groups) + 1``.
    one_sided : bool
        Penalise only norms above ``target``.
    rng : torch.Generator, optional
        Source of ε, for reproducibility.

    Returns
    -------
    GroupPenalty
        ``penalty`` (differentiable scalar) with per-group diagnostics.

    Raises
    ------
    FloatingPointError
        If any gradient norm is non-finite; the message names the group(s).
    """
    real, fake = check_pair(real, fake)
    if balance not in BALANCES:
        raise ValueError(allowed("balance", balance, BALANCES))
    batch = real.shape[0]
    groups = check_index("groups", groups, batch)
    n_groups = infer_num_groups(groups, num_groups, lambda_gp)
    groups = check_index("groups", groups, batch, upper=n_groups)
    groups = groups.to(real.device)
    lam = group_lambdas(lambda_gp, n_groups, device=real.device).to(real.dtype)
    target = check_positive("target", target)
    labels = _check_labels(labels, batch)
    reject_batchnorm(critic)

    return penalty_terms(
        critic,
        real,
        fake,
        groups,
        labels=labels,
        lambdas=lam,
        target=target,
        balance=balance,
        num_groups=n_groups,
        one_sided=one_sided,
        rng=rng,
    )


def penalty_terms(
    critic: CriticFn,
    real: Tensor,
    fake: Tensor,
    groups: Tensor,
    *,
    labels: Tensor | None,
    lambdas: Tensor,
    target: float,
    balance: Balance,
    num_groups: int,
    one_sided: bool = False,
    rng: torch.Generator | None = None,
) -> GroupPenalty:
    """:func:`group_gradient_penalty` without input checks, for loops that validated once.

    ``lambdas`` is the ``[num_groups]`` tensor of λ_g; ``groups`` int64 on the data's device.
    """
    n_groups, lam = num_groups, lambdas
    norms = input_gradient_norms(critic, _interpolate(real, fake, rng), labels)
    count = torch.bincount(groups, minlength=n_groups)
    bad = ~torch.isfinite(norms)
    if bool(bad.any()):
        names = sorted({int(g) for g in groups[bad].tolist()})
        raise FloatingPointError(f"non-finite gradient norm on interpolates of group(s) {names}")
    dev = _deviation(norms, target, one_sided)
    present = count > 0
    zeros = torch.zeros(n_groups, device=real.device, dtype=real.dtype)
    safe = count.clamp(min=1).to(real.dtype)
    group_mean = zeros.index_add(0, groups, dev) / safe
    if balance == "group":
        terms = torch.where(present, lam * group_mean, zeros)
        penalty = terms.sum() / present.sum()
    else:
        penalty = (lam[groups] * dev).mean()
    nan = torch.full_like(group_mean, float("nan"))
    norm_sum = zeros.index_add(0, groups, norms.detach())
    return GroupPenalty(
        penalty=penalty,
        per_group=torch.where(present, (lam * group_mean).detach(), nan),
        grad_norm=torch.where(present, norm_sum / safe, nan),
        count=count,
    )


def r1_penalty(
    critic: CriticFn,
    real: Tensor,
    *,
    labels: Tensor | None = None,
    gamma: float = 10.0,
) -> Tensor:
    """R1 penalty ``(γ/2) · E‖∇D(x_real)‖²`` (Mescheder et al. 2018).

    Parameters
    ----------
    critic : callable
        ``critic(x)`` or ``critic(x, labels)``.
    real : Tensor
        ``[B, ...]`` real batch (detached inside).
    labels : Tensor, optional
        ``[B]`` integer labels for a conditional critic.
    gamma : float
        Weight γ ≥ 0.

    Returns
    -------
    Tensor
        Scalar penalty, differentiable w.r.t. the critic's parameters.
    """
    real = check_finite_rows("real", real)
    g = check_lambda("gamma", gamma)
    labels = _check_labels(labels, real.shape[0])
    reject_batchnorm(critic)
    norms = input_gradient_norms(critic, real.detach().clone().requires_grad_(True), labels)
    if not bool(torch.isfinite(norms).all()):
        raise FloatingPointError("non-finite gradient norm on real data")
    return 0.5 * g * norms.square().mean()
