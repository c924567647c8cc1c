"""Exact per-sample gradients of the WGAN-GP critic loss with ``torch.func``.

Row i's loss is ``D(fake_i) − D(real_i) + λ_{g(i)} (‖∇_x D(x̂_i)‖ − target)²`` with
``x̂_i = ε_i real_i + (1 − ε_i) fake_i``. The penalty is a nested ``grad`` w.r.t.
the input inside the per-row loss, and ``vmap(grad(loss_i))`` over
``functional_call`` gives every row's parameter gradient in one pass. The
interpolate touches real data, so the penalty belongs inside the clipped loss.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from fedgan.privacy._closed_form import mlp_layers, mlp_per_sample_grads

__all__ = ["per_sample_critic_grads"]


def per_sample_critic_grads(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    groups: Tensor | None = None,
    *,
    labels: Tensor | None = None,
    lambda_gp: float | Sequence[float] | Tensor = 10.0,
    target: float = 1.0,
    eps: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> dict[str, Tensor]:
    """Per-row gradients of the critic loss including each row's own penalty.

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
    labels : Tensor, optional
        ``[B]`` conditioning labels.
    lambda_gp : float or sequence of float or Tensor
        One λ or one per group.
    target : float
        Target gradient norm.
    eps : Tensor, optional
        ``[B]`` interpolation coefficients; drawn from U(0, 1) if omitted.
    generator : torch.Generator, optional
        Source of ``eps`` when it is drawn.

    Returns
    -------
    dict of str to Tensor
        For each named trainable parameter, ``[B, *param.shape]`` gradients.
    """
    return _per_sample_grads(
        critic, real, fake, groups, labels=labels, lambda_gp=lambda_gp, target=target,
        eps=eps, generator=generator,
    )  # fmt: skip


def _per_sample_grads(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    groups: Tensor | None = None,
    *,
    labels: Tensor | None = None,
    lambda_gp: float | Sequence[float] | Tensor = 10.0,
    target: float = 1.0,
    eps: Tensor | None = None,
    generator: torch.Generator | None = None,
    out: dict[str, Tensor] | None = None,
) -> dict[str, Tensor]:
    """:func:`per_sample_critic_grads`, optionally into kept buffers ``out`` (MLP path)."""
    real, fake = check_pair(real, fake)
    b = real.shape[0]
    reject_batchnorm(critic)
    g = (
        torch.zeros(b, dtype=torch.long, device=real.device)
        if groups is None
        else check_index("groups", groups, b)
    )
    n_groups = infer_num_groups(g, None, lambda_gp)
    g = check_index("groups", g, b, upper=n_groups).to(real.device)
    lam = group_lambdas(lambda_gp, n_groups, device=real.device).to(real.dtype)[g]
    target = check_positive("target", target)
    if labels is not None:
        labels = check_index("labels", labels, b)
    if eps is None:
        eps = torch.rand(b, device=real.device, dtype=real.dtype, generator=generator)
    elif eps.shape != (b,):
        raise ValueError(f"eps must have shape ({b},), got {tuple(eps.shape)}")
    eps = eps.to(real.dtype)
    layers = mlp_layers(critic)
    if layers is not None:  # fedgan's MLP critic: the same numbers, several times faster
        return mlp_per_sample_grads(critic, layers, real, fake, eps, lam, target, labels, out)  # type: ignore[arg-type]
    return _vmap_grads(critic, real, fake, eps, lam, target, labels)


def _vmap_grads(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    eps: Tensor,
    lam: Tensor,
    target: float,
    labels: Tensor | None,
) -> dict[str, Tensor]:
    """Any critic: ``vmap`` over ``grad`` of each row's loss (the penalty a nested ``grad``)."""
    params = {k: v.detach() for k, v in critic.named_parameters() if v.requires_grad}
    buffers = {k: v.detach() for k, v in critic.named_buffers()}
    conditional = labels is not None

    def score(p: dict[str, Tensor], x: Tensor, y: Tensor | None) -> Tensor:
        args = (x.unsqueeze(0),) if y is None else (x.unsqueeze(0), y.unsqueeze(0))
        return functional_call(critic, (p, buffers), args).reshape(())

    def row_loss(
        p: dict[str, Tensor], r: Tensor, f: Tensor, e: Tensor, lam_i: Tensor, y: Tensor | None
    ) -> Tensor:
        x_hat = e * r + (1 - e) * f
        gx = grad(score, argnums=1)(p, x_hat, y)
        norm = torch.linalg.vector_norm(gx)
        return score(p, f, y) - score(p, r, y) + lam_i * (norm - target) ** 2

    in_dims = (None, 0, 0, 0, 0, 0 if conditional else None)
    return vmap(grad(row_loss), in_dims=in_dims)(params, real, fake, eps, lam, labels)
