"""Exact per-sample gradients of the WGAN-GP critic objective with ``torch.func``.

Row i's term of the objective (:mod:`fedgan.losses`) is
``b_i D(fake_i) − a_i D(real_i) + c_i (‖∇_x D(x̂_i)‖ − target)²`` with
``x̂_i = ε_i real_i + (1 − ε_i) fake_i``. Opacus averages per-sample gradients over the
expected batch size B, so each row's gradient is taken of B times its term: the
average of the rows is then the gradient of the objective. The penalty is a nested
``grad`` w.r.t. the input inside each row's term, and ``vmap(grad(term_i))`` over
``functional_call`` gives every row's parameter gradient in one pass. The interpolate
touches real data, so the penalty belongs inside the clipped term.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict, Unpack

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap

from fedgan._checks import (
    check_index,
    check_pair,
    check_positive,
    group_lambdas,
    infer_num_groups,
    reject_batchnorm,
)
from fedgan.losses import RowWeights
from fedgan.privacy._closed_form import RowTerms, mlp_layers, mlp_per_sample_grads

__all__ = ["PerSampleOptions", "per_sample_critic_grads"]


class PerSampleOptions(TypedDict, total=False):
    """Keyword options of :func:`per_sample_critic_grads` and ``PrivateCritic.step``.

    Defaults: ``labels`` None, ``lambda_gp`` 10.0 (the library's λ, as in WGAN-GP; the
    run config's ``lambda-gp`` defaults to 1), ``target`` 1.0, ``weights`` None, ``eps``
    drawn from U(0, 1) with ``rng``.
    """

    labels: Tensor | None
    lambda_gp: float | Sequence[float] | Tensor
    target: float
    weights: RowWeights | None
    eps: Tensor | None
    rng: torch.Generator | None


def per_sample_critic_grads(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    groups: Tensor | None = None,
    **options: Unpack[PerSampleOptions],
) -> dict[str, Tensor]:
    """Per-row gradients of the critic objective, each row's penalty included.

    fedgan's own MLP :class:`~fedgan.models.Critic` takes a closed form (the same
    gradients, no double backward); any other critic takes ``vmap`` over ``grad``.

    Parameters
    ----------
    critic : nn.Module
        ``critic(x)`` or ``critic(x, labels)``; no BatchNorm.
    real, fake : Tensor
        ``[B, ...]`` paired rows (``fake`` detached from the generator).
    groups : Tensor, optional
        ``[B]`` group of each row (selects ``λ_g``); default all group 0.

    Other Parameters
    ----------------
    labels : Tensor, optional
        ``[B]`` conditioning labels.
    lambda_gp : float or sequence of float or Tensor, default 10.0
        One λ or one per group, for the plain per-row loss
        ``D(fake_i) − D(real_i) + λ_{g(i)} (‖∇D(x̂_i)‖ − target)²``.
    target : float, default 1.0
        Target gradient norm.
    weights : RowWeights, optional
        The objective's row coefficients (:func:`fedgan.losses.row_weights`); when
        given, each row's gradient is of ``B`` times its weighted term and
        ``lambda_gp`` is not used (λ is inside ``weights.penalty``).
    eps : Tensor, optional
        ``[B]`` interpolation coefficients; drawn from U(0, 1) if omitted.
    rng : torch.Generator, optional
        Source of ``eps`` when it is drawn.

    Returns
    -------
    dict of str to Tensor
        For each named trainable parameter, ``[B, *param.shape]`` gradients.
    """
    return critic_row_grads(critic, real, fake, groups, options)


def critic_row_grads(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    groups: Tensor | None,
    options: PerSampleOptions,
    *,
    validate: bool = True,
    out: dict[str, Tensor] | None = None,
) -> dict[str, Tensor]:
    """:func:`per_sample_critic_grads` with its options as a dict (``validate=False``: trusted).

    ``out`` optionally keeps the MLP path's large buffers between calls.
    """
    unknown = sorted(set(options) - set(PerSampleOptions.__annotations__))
    if unknown:
        allowed = ", ".join(PerSampleOptions.__annotations__)
        raise TypeError(f"unknown option {unknown[0]!r}; allowed: {allowed}")
    labels, target = options.get("labels"), options.get("target", 1.0)
    if validate:
        real, fake = check_pair(real, fake)
        if labels is not None:
            labels = check_index("labels", labels, real.shape[0])
        target = check_positive("target", target)
    return _per_sample_grads(
        critic,
        real,
        fake,
        coef=row_coefficients(real, groups, options.get("lambda_gp", 10.0), options.get("weights")),
        labels=labels,
        target=target,
        eps=options.get("eps"),
        rng=options.get("rng"),
        out=out,
    )


def row_coefficients(
    real: Tensor,
    groups: Tensor | None,
    lambda_gp: float | Sequence[float] | Tensor,
    weights: RowWeights | None,
) -> tuple[Tensor, Tensor, Tensor]:
    """``(α, β, γ)`` per row: ``B`` times the objective's weights, or the plain loss's 1, 1, λ_g."""
    b = real.shape[0]
    if weights is not None:
        coef = tuple(c.to(real.dtype) * b for c in (weights.real, weights.fake, weights.penalty))
        if any(c.shape != (b,) for c in coef):
            raise ValueError(f"weights must hold [{b}] coefficients per term")
        return coef  # type: ignore[return-value]
    g = (
        torch.zeros(b, dtype=torch.long, device=real.device)
        if groups is None
        else check_index("groups", groups, b)
    )
    n_groups = infer_num_groups(g, None, lambda_gp)
    g = check_index("groups", g, b, upper=n_groups).to(real.device)
    lam = group_lambdas(lambda_gp, n_groups, device=real.device).to(real.dtype)[g]
    ones = torch.ones(b, dtype=real.dtype, device=real.device)
    return ones, ones, lam


def _per_sample_grads(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    *,
    coef: tuple[Tensor, Tensor, Tensor],
    labels: Tensor | None,
    target: float,
    eps: Tensor | None = None,
    rng: torch.Generator | None = None,
    out: dict[str, Tensor] | None = None,
) -> dict[str, Tensor]:
    """Per-row gradients of ``β_i D(f_i) − α_i D(r_i) + γ_i(‖∇D(x̂_i)‖ − t)²`` (trusted inputs).

    ``coef`` is ``(α, β, γ)``; ``out`` optionally keeps the MLP path's large buffers.
    """
    b = real.shape[0]
    reject_batchnorm(critic)
    if eps is None:
        eps = torch.rand(b, device=real.device, dtype=real.dtype, generator=rng)
    elif eps.shape != (b,):
        raise ValueError(f"eps must have shape ({b},), got {tuple(eps.shape)}")
    eps = eps.to(real.dtype)
    terms = RowTerms(real=real, fake=fake, eps=eps, coef=coef, target=target, labels=labels)
    layers = mlp_layers(critic)
    if layers is not None:  # fedgan's MLP critic: the same numbers, several times faster
        return mlp_per_sample_grads(critic, layers, terms, out)  # type: ignore[arg-type]
    return _vmap_grads(critic, terms)


def _vmap_grads(critic: nn.Module, terms: RowTerms) -> dict[str, Tensor]:
    """Any critic: ``vmap`` over ``grad`` of each row's term (the penalty a nested ``grad``)."""
    labels, target = terms.labels, terms.target
    params = {k: v.detach() for k, v in critic.named_parameters() if v.requires_grad}
    buffers = {k: v.detach() for k, v in critic.named_buffers()}
    conditional = labels is not None

    def score(p: dict[str, Tensor], x: Tensor, y: Tensor | None) -> Tensor:
        args = (x.unsqueeze(0),) if y is None else (x.unsqueeze(0), y.unsqueeze(0))
        return functional_call(critic, (p, buffers), args).reshape(())

    def row_loss(
        p: dict[str, Tensor],
        r: Tensor,
        f: Tensor,
        e: Tensor,
        cr: Tensor,
        cf: Tensor,
        cp: Tensor,
        y: Tensor | None,
    ) -> Tensor:
        x_hat = e * r + (1 - e) * f
        gx = grad(score, argnums=1)(p, x_hat, y)
        norm = torch.linalg.vector_norm(gx)
        return cf * score(p, f, y) - cr * score(p, r, y) + cp * (norm - target) ** 2

    in_dims = (None, 0, 0, 0, 0, 0, 0, 0 if conditional else None)
    args = (terms.real, terms.fake, terms.eps, *terms.coef, labels)
    return vmap(grad(row_loss), in_dims=in_dims)(params, *args)
