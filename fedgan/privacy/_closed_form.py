"""Closed-form per-sample gradients for fedgan's MLP critic (no double backward).

For a LeakyReLU MLP the input gradient at ``x̂`` is a product of weight matrices
and constant activation slopes: ``∇_x D = W_1ᵀ S_1 W_2ᵀ S_2 ⋯ W_Lᵀ S_L w``, with
``w`` the head weight (plus the label's embedding for a conditional critic) and
``S_l`` the slopes (1 or the negative slope) at ``x̂``. The slopes are piecewise
constant, so autograd's second derivative through them is zero and the penalty
``P = λ(‖∇_x D‖ − t)²`` has, for each row and layer,

    ∂P/∂W_l = u_l a_{l−1}ᵀ,   ∂P/∂w = a_L,   ∂P/∂b_l = 0,

where ``u_l = S_l W_{l+1}ᵀ u_{l+1}`` (``u_L = S_L w``) runs backwards from the head
and ``a_l = S_l W_l a_{l−1}`` runs forwards from ``a_0 = ∂P/∂(∇_x D)``. The two
Wasserstein terms add the usual rank-one ``δ_l h_{l−1}ᵀ`` per row, so each layer's
per-sample gradient is one batched product of rank three. This is what autograd
computes, written out for this one architecture.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from fedgan.models import Critic

__all__: list[str] = []


@dataclass(frozen=True)
class RowTerms:
    """A batch's per-row terms ``β_i D(f_i) − α_i D(r_i) + γ_i(‖∇D(x̂_i)‖ − t)²`` (trusted).

    ``coef`` is ``(α, β, γ)``, each ``[B]`` (γ includes λ); ``x̂_i = ε_i r_i + (1 − ε_i) f_i``.
    """

    real: Tensor
    fake: Tensor
    eps: Tensor
    coef: tuple[Tensor, Tensor, Tensor]
    target: float
    labels: Tensor | None


def mlp_layers(critic: nn.Module) -> list[tuple[str, nn.Linear]] | None:
    """Named Linear layers of a plain MLP :class:`Critic` (one LeakyReLU slope), else None."""
    if type(critic) is not Critic or list(critic.buffers()):
        return None
    if not all(p.requires_grad for p in critic.parameters()):
        return None
    mods = list(critic.features.children()) if isinstance(critic.features, nn.Sequential) else []
    if not mods or not isinstance(mods[0], nn.Flatten):
        return None
    body = mods[1:]
    pairs = list(zip(body[0::2], body[1::2], strict=False))
    if len(body) % 2 or not pairs:
        return None
    slope = None
    layers = []
    for i, (lin, act) in enumerate(pairs):
        if not isinstance(lin, nn.Linear) or not isinstance(act, nn.LeakyReLU):
            return None
        if slope is not None and act.negative_slope != slope:
            return None
        slope = act.negative_slope
        layers.append((f"features.{2 * i + 1}", lin))
    return layers


def _negative_slope(critic: Critic) -> float:
    # mlp_layers checked that every activation is a LeakyReLU with this one slope.
    act = next(m for m in critic.features.modules() if isinstance(m, nn.LeakyReLU))
    return float(act.negative_slope)


def _slopes(z: Tensor, negative_slope: float) -> Tensor:
    # LeakyReLU's derivative as autograd takes it: 1 where z > 0, the slope elsewhere.
    return (z > 0).to(z.dtype).mul_(1.0 - negative_slope).add_(negative_slope)


def _forward(layers: list[nn.Linear], x: Tensor, ns: float) -> tuple[list[Tensor], list[Tensor]]:
    """Layer inputs ``h_0 … h_{L−1}``, last hidden ``h_L`` appended, and slopes ``S_1 … S_L``."""
    hs, ss = [x], []
    for lin in layers:
        z = torch.nn.functional.linear(hs[-1], lin.weight, lin.bias)
        s = _slopes(z, ns)
        ss.append(s)
        hs.append(z * s)
    return hs, ss


def _backward(layers: list[nn.Linear], ss: list[Tensor], w: Tensor) -> list[Tensor]:
    """``u_1 … u_L``: ∂D/∂z_l for every row (``w`` is ``[B, H]``, the per-row head)."""
    us = [ss[-1] * w]
    for lin, s in zip(reversed(layers[1:]), reversed(ss[:-1]), strict=True):
        us.append(s * (us[-1] @ lin.weight))
    return us[::-1]


@torch.no_grad()
def mlp_per_sample_grads(
    critic: Critic,
    layers: list[tuple[str, nn.Linear]],
    terms: RowTerms,
    out: dict[str, Tensor] | None = None,
) -> dict[str, Tensor]:
    """Per-row gradients of the batch's :class:`RowTerms` for an MLP :class:`Critic`.

    ``out`` (optional) keeps the large weight-gradient buffers between calls: the
    results are then views into it, valid until the next call. Fresh multi-MB
    allocations on every step cost more page faults than the arithmetic.
    """
    real, fake, labels, target = terms.real, terms.fake, terms.labels, terms.target
    b = real.shape[0]
    cr, cf, lam = (c.reshape(b, 1).to(real.dtype) for c in terms.coef)
    lins = [m for _, m in layers]
    ns = _negative_slope(critic)
    r, f = real.reshape(b, -1), fake.reshape(b, -1)
    e = terms.eps.reshape(b, 1).to(r.dtype)
    xh = e * r + (1 - e) * f
    w = critic.head.weight.reshape(1, -1).expand(b, -1)
    if critic.embed is not None:
        assert labels is not None  # the caller validated it
        w = w + critic.embed.weight[labels]
    h_f, s_f = _forward(lins, f, ns)
    h_r, s_r = _forward(lins, r, ns)
    _, s_x = _forward(lins, xh, ns)  # at x̂ only the slopes matter
    u_f, u_r, u_x = _backward(lins, s_f, w), _backward(lins, s_r, w), _backward(lins, s_x, w)
    grad_x = u_x[0] @ lins[0].weight  # ∇_x D(x̂), [B, d]
    norm = torch.linalg.vector_norm(grad_x, dim=1, keepdim=True)
    k = 2 * lam * (norm - target) / norm.clamp_min(torch.finfo(norm.dtype).tiny)
    a = [torch.where(norm > 0, k * grad_x, torch.zeros_like(grad_x))]  # a_0 = ∂P/∂∇_x D
    for lin, s in zip(lins, s_x, strict=True):
        a.append(s * (a[-1] @ lin.weight.T))
    res: dict[str, Tensor] = {}
    for l_idx, (name, lin) in enumerate(layers):
        left = torch.stack([cf * u_f[l_idx], -cr * u_r[l_idx], u_x[l_idx]], dim=2)  # [B, out, 3]
        right = torch.stack([h_f[l_idx], h_r[l_idx], a[l_idx]], dim=1)  # [B, 3, in]
        key = f"{name}.weight"
        res[key] = torch.bmm(left, right, out=_buffer(out, key, b, lin.weight))
        res[f"{name}.bias"] = cf * u_f[l_idx] - cr * u_r[l_idx]
    dw = cf * h_f[-1] - cr * h_r[-1] + a[-1]  # ∂ℓ/∂(per-row head weight), [B, H]
    res["head.weight"] = dw.reshape(b, *critic.head.weight.shape)
    res["head.bias"] = (cf - cr).reshape(b, 1)
    if critic.embed is not None:
        assert labels is not None
        emb = torch.zeros(b, *critic.embed.weight.shape, dtype=r.dtype, device=r.device)
        emb[torch.arange(b, device=r.device), labels] = dw
        res["embed.weight"] = emb
    return {k: res[k] for k, _ in critic.named_parameters()}


def _buffer(out: dict[str, Tensor] | None, key: str, b: int, like: Tensor) -> Tensor | None:
    """A ``[b, *like.shape]`` view of a kept buffer (grown by 25% when too small)."""
    if out is None:
        return None
    buf = out.get(key)
    if buf is None or buf.shape[0] < b or buf.shape[1:] != like.shape or buf.dtype != like.dtype:
        buf = out[key] = torch.empty(
            (b + b // 4 + 1, *like.shape), dtype=like.dtype, device=like.device
        )
    return buf[:b]
