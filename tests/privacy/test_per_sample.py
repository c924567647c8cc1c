"""Per-sample critic gradients against a one-row-at-a-time autograd loop."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from fedgan.models import build_models
from fedgan.privacy import per_sample_critic_grads


def _reference(critic, real, fake, groups, labels, lam, target, eps):  # type: ignore[no-untyped-def]
    out = []
    for i in range(real.shape[0]):
        y = None if labels is None else labels[i : i + 1]
        args = () if y is None else (y,)
        x_hat = (eps[i] * real[i : i + 1] + (1 - eps[i]) * fake[i : i + 1]).requires_grad_(True)
        (gx,) = torch.autograd.grad(critic(x_hat, *args).sum(), x_hat, create_graph=True)
        loss = critic(fake[i : i + 1], *args).sum() - critic(real[i : i + 1], *args).sum()
        loss = loss + lam[int(groups[i])] * (gx.flatten().norm() - target) ** 2
        params = [p for p in critic.parameters()]
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        out.append([torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)])
    return out


@pytest.mark.parametrize(
    ("shape", "kind", "num_labels"),
    [((2,), "mlp", 0), ((2,), "mlp", 3), ((1, 8, 8), "conv", 0), ((1, 8, 8), "conv", 4)],
)
def test_matches_microbatch_loop(shape: tuple, kind: str, num_labels: int) -> None:
    torch.manual_seed(0)
    _, critic = build_models(shape, kind=kind, num_labels=num_labels, hidden=8)  # type: ignore[arg-type]
    b = 6
    real, fake = torch.randn(b, *shape), torch.randn(b, *shape)
    groups = torch.tensor([0, 1, 1, 0, 2, 1])
    labels = torch.randint(0, num_labels, (b,)) if num_labels else None
    lam, eps = [2.0, 10.0, 0.5], torch.rand(b)
    got = per_sample_critic_grads(
        critic, real, fake, groups, labels=labels, lambda_gp=lam, target=1.3, eps=eps
    )
    ref = _reference(critic, real, fake, groups, labels, lam, 1.3, eps)
    names = [n for n, _ in critic.named_parameters()]
    for i in range(b):
        for j, n in enumerate(names):
            assert torch.allclose(got[n][i], ref[i][j], atol=1e-5, rtol=1e-4), (i, n)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 7), st.floats(0.0, 20.0), st.integers(0, 1000))
def test_property_mlp(b: int, lam: float, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    critic = nn.Sequential(nn.Linear(3, 5), nn.LeakyReLU(0.2), nn.Linear(5, 1))
    real, fake, eps = (
        torch.randn(b, 3, generator=g),
        torch.randn(b, 3, generator=g),
        torch.rand(b, generator=g),
    )
    groups = torch.zeros(b, dtype=torch.long)
    got = per_sample_critic_grads(critic, real, fake, groups, lambda_gp=lam, eps=eps)
    ref = _reference(critic, real, fake, groups, None, [lam], 1.0, eps)
    for i in range(b):
        for j, n in enumerate(n for n, _ in critic.named_parameters()):
            assert torch.allclose(got[n][i], ref[i][j], atol=1e-5, rtol=1e-4)


def test_bad_input() -> None:
    critic = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="eps"):
        per_sample_critic_grads(critic, torch.randn(3, 2), torch.randn(3, 2), eps=torch.rand(4))
    with pytest.raises(ValueError, match="BatchNorm"):
        per_sample_critic_grads(
            nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)), torch.randn(3, 2), torch.randn(3, 2)
        )
