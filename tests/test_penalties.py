"""Tests for fedgan.penalties: analytic values, pairing, balance, gradients, errors."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from fedgan import gradient_penalty, group_gradient_penalty, r1_penalty


class LinearCritic(nn.Module):
    """f(x) = w·x: ‖∇f‖ = ‖w‖ everywhere."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.w


def mlp(d: int = 2) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(d, 16), nn.Tanh(), nn.Linear(16, 1))


class CondCritic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(3, 2)
        self.lin = nn.Linear(2, 1)
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.detach().clone())
        return self.lin(torch.sin(x) + self.emb(y)).squeeze(1)


@pytest.mark.parametrize("one_sided", [False, True])
@pytest.mark.parametrize("norm_w", [0.5, 2.0])
def test_pooled_penalty_linear_critic_is_analytic(one_sided: bool, norm_w: float) -> None:
    w = torch.tensor([0.6, 0.8]) * norm_w
    gp = gradient_penalty(
        LinearCritic(w), torch.randn(32, 2), torch.randn(32, 2), lambda_gp=7.0, one_sided=one_sided
    )
    dev = norm_w - 1.0
    expected = 7.0 * (max(dev, 0.0) if one_sided else dev) ** 2
    assert float(gp.detach()) == pytest.approx(expected, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("balance", ["group", "sample"])
@pytest.mark.parametrize("one_sided", [False, True])
def test_group_penalty_linear_critic_per_group_lambda(balance: str, one_sided: bool) -> None:
    w = torch.tensor([3.0, 4.0])  # ‖w‖ = 5
    lam = [1.0, 2.0, 4.0]
    groups = torch.tensor([0] * 5 + [2] * 15)  # group 1 absent
    target = 2.0
    res = group_gradient_penalty(
        LinearCritic(w),
        torch.randn(20, 2),
        torch.randn(20, 2),
        groups,
        lambda_gp=lam,
        target=target,
        balance=balance,
        one_sided=one_sided,  # type: ignore[arg-type]
    )
    per_row = (5.0 - target) ** 2  # = 9, positive deviation so one-sided is equal
    if balance == "group":
        expected = (1.0 * per_row + 4.0 * per_row) / 2
    else:
        expected = (5 * 1.0 * per_row + 15 * 4.0 * per_row) / 20
    assert float(res.penalty.detach()) == pytest.approx(expected, rel=1e-5)
    assert res.count.tolist() == [5, 0, 15]
    assert math.isnan(float(res.per_group[1])) and math.isnan(float(res.grad_norm[1]))
    assert res.per_group[0].item() == pytest.approx(per_row, rel=1e-5)
    assert res.grad_norm[2].item() == pytest.approx(5.0, rel=1e-5)


def test_one_sided_ignores_norms_below_target() -> None:
    res = group_gradient_penalty(
        LinearCritic(torch.tensor([0.3, 0.4])),
        torch.randn(8, 2),
        torch.randn(8, 2),
        torch.zeros(8, dtype=torch.long),
        one_sided=True,
    )
    assert float(res.penalty.detach()) == 0.0


def test_conditional_interpolates_lie_on_their_own_segment() -> None:
    critic = CondCritic()
    real, fake = torch.randn(50, 2), torch.randn(50, 2) + 5
    labels = torch.randint(0, 3, (50,))
    group_gradient_penalty(critic, real, fake, labels, labels=labels, num_groups=3)
    (x_hat,) = critic.seen
    d = fake - real
    t = ((x_hat - real) * d).sum(1) / (d * d).sum(1)
    assert bool(((t >= -1e-6) & (t <= 1 + 1e-6)).all())
    closest = real + t[:, None] * d
    assert torch.allclose(x_hat, closest, atol=1e-5)


def _hand_penalty(critic: nn.Module, x_hat: torch.Tensor, groups: torch.Tensor) -> float:
    norms = []
    for i in range(x_hat.shape[0]):
        xi = x_hat[i : i + 1].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(xi).sum(), xi)
        norms.append(float(g.norm()))
    dev = torch.tensor([(n - 1.0) ** 2 for n in norms])
    means = [float(dev[groups == g].mean()) for g in groups.unique()]
    return 10.0 * sum(means) / len(means)


def test_group_balance_equals_mean_of_group_means_small_beside_large() -> None:
    critic = mlp()
    real, fake = torch.randn(303, 2), torch.randn(303, 2) * 3
    groups = torch.tensor([1] * 3 + [0] * 300)
    gen = torch.Generator().manual_seed(5)
    res = group_gradient_penalty(critic, real, fake, groups, rng=gen)
    eps = torch.rand(303, generator=torch.Generator().manual_seed(5))[:, None]
    x_hat = eps * real + (1 - eps) * fake
    assert float(res.penalty.detach()) == pytest.approx(
        _hand_penalty(critic, x_hat, groups), rel=1e-4
    )
    pooled = float((res.per_group[0] * 300 + res.per_group[1] * 3) / 303)
    assert abs(float(res.penalty.detach()) - pooled) > 1e-3  # the small group is not drowned


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 4), st.integers(0, 10_000))
def test_sample_balance_equals_gradient_penalty(batch: int, n_groups: int, seed: int) -> None:
    critic = mlp(3)
    g = torch.Generator().manual_seed(seed)
    real, fake = torch.randn(batch, 3, generator=g), torch.randn(batch, 3, generator=g)
    groups = torch.randint(0, n_groups, (batch,), generator=g)
    a = group_gradient_penalty(
        critic,
        real,
        fake,
        groups,
        balance="sample",
        num_groups=n_groups,
        lambda_gp=3.0,
        rng=torch.Generator().manual_seed(seed),
    ).penalty
    b = gradient_penalty(critic, real, fake, lambda_gp=3.0, rng=torch.Generator().manual_seed(seed))
    assert torch.allclose(a, b, rtol=1e-5, atol=1e-7)


def test_penalty_backward_changes_critic_parameters() -> None:
    critic = mlp()
    before = [p.detach().clone() for p in critic.parameters()]
    res = group_gradient_penalty(
        critic, torch.randn(16, 2), torch.randn(16, 2) * 4, torch.zeros(16, dtype=torch.long)
    )
    res.penalty.backward()
    first, last = critic[0], critic[2]
    assert float(first.weight.grad.abs().sum()) > 0 and float(last.weight.grad.abs().sum()) > 0
    assert last.bias.grad is None  # a constant shift has no input gradient
    torch.optim.SGD(critic.parameters(), lr=0.1).step()
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, critic.parameters()))


def test_training_on_penalty_alone_reaches_target_norm() -> None:
    torch.manual_seed(1)
    critic = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
    opt = torch.optim.Adam(critic.parameters(), lr=1e-2)
    real_sampler = lambda: torch.randn(128, 2)  # noqa: E731
    for _ in range(300):
        opt.zero_grad()
        gradient_penalty(critic, real_sampler(), real_sampler() + 3, target=1.5).backward()
        opt.step()
    x = torch.randn(512, 2) + 1.5
    x.requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x)
    assert float(g.norm(dim=1).mean()) == pytest.approx(1.5, abs=0.05)


def test_r1_matches_linear_critic_analytic() -> None:
    w = torch.tensor([1.0, 2.0, 2.0])  # ‖w‖² = 9
    r1 = r1_penalty(LinearCritic(w), torch.randn(10, 3), gamma=4.0)
    assert float(r1.detach()) == pytest.approx(18.0)


def test_r1_conditional_and_gradients_flow() -> None:
    critic = CondCritic()
    out = r1_penalty(critic, torch.randn(10, 2), labels=torch.randint(0, 3, (10,)))
    out.backward()
    assert critic.lin.weight.grad is not None


# --- bad input: every message names the argument ---------------------------------

LIN = LinearCritic(torch.tensor([1.0, 0.0]))
R, F = torch.randn(4, 2), torch.randn(4, 2)
G = torch.tensor([0, 1, 0, 1])


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"fake": torch.randn(5, 2)}, ValueError, "real and fake"),
        ({"fake": torch.randn(4, 3)}, ValueError, "real and fake"),
        ({"real": torch.randn(0, 2), "fake": torch.randn(0, 2)}, ValueError, "empty batch"),
        ({"real": torch.ones(4, 2, dtype=torch.long)}, TypeError, "real"),
        ({"groups": torch.tensor([0, 1, 0])}, ValueError, "groups"),
        ({"groups": torch.tensor([0.0, 1, 0, 1])}, TypeError, "groups"),
        ({"groups": torch.tensor([0, 1, 0, 3]), "num_groups": 2}, ValueError, "groups"),
        ({"groups": torch.tensor([0, -1, 0, 1])}, ValueError, "groups"),
        ({"lambda_gp": -1.0}, ValueError, "lambda_gp"),
        ({"lambda_gp": float("nan")}, ValueError, "lambda_gp"),
        ({"lambda_gp": [1.0, 2.0, 3.0], "num_groups": 2}, ValueError, "lambda_gp"),
        ({"target": 0.0}, ValueError, "target"),
        ({"balance": "pooled"}, ValueError, "balance"),
        ({"labels": torch.tensor([0, 1])}, ValueError, "labels"),
        ({"num_groups": 0}, ValueError, "num_groups"),
        (
            {"real": torch.tensor([[0.0, 1.0], [float("nan"), 0.0], [1.0, 1.0], [0.0, 0.0]])},
            ValueError,
            "real",
        ),
        (
            {"fake": torch.tensor([[0.0, 1.0], [1.0, 0.0], [float("inf"), 1.0], [0.0, 0.0]])},
            ValueError,
            "fake",
        ),
        ({"lambda_gp": "10"}, TypeError, "lambda_gp"),
        ({"lambda_gp": ["1", "2"]}, TypeError, "lambda_gp"),
    ],
)
def test_group_penalty_bad_input(kwargs: dict, exc: type, name: str) -> None:
    args = {"critic": LIN, "real": R, "fake": F, "groups": G} | kwargs
    with pytest.raises(exc, match=name):
        group_gradient_penalty(**args)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"lambda_gp": -2.0}, "lambda_gp"),
        ({"target": -1.0}, "target"),
        ({"fake": torch.randn(3, 2)}, "real and fake"),
        ({"real": torch.full((4, 2), float("nan"))}, "real"),
    ],
)
def test_gradient_penalty_bad_input(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        gradient_penalty(**({"critic": LIN, "real": R, "fake": F} | kwargs))


@pytest.mark.parametrize(
    ("call", "exc", "name"),
    [
        (lambda: gradient_penalty(LIN, R, F, lambda_gp="10"), TypeError, "lambda_gp"),  # type: ignore[arg-type]
        (lambda: r1_penalty(LIN, torch.full((4, 2), float("inf"))), ValueError, "real"),
        (lambda: r1_penalty(LIN, R, gamma="1"), TypeError, "gamma"),  # type: ignore[arg-type]
        (lambda: r1_penalty(LIN, R, gamma=-1.0), ValueError, "gamma"),
    ],
)
def test_text_and_non_finite_inputs_are_refused(call: object, exc: type, name: str) -> None:
    with pytest.raises(exc, match=name):
        call()  # type: ignore[operator]


def test_batchnorm_critic_rejected_with_alternatives() -> None:
    critic = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    for call in (
        lambda: gradient_penalty(critic, R, F),
        lambda: group_gradient_penalty(critic, R, F, G),
        lambda: r1_penalty(critic, R),
    ):
        with pytest.raises(ValueError, match=r"BatchNorm.*LayerNorm"):
            call()


def test_non_finite_gradient_names_group() -> None:
    class Sqrt(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, 0].abs().sqrt()  # infinite gradient at 0

    real = torch.tensor([[1.0, 0.0], [0.0, 0.0], [2.0, 0.0]])
    with pytest.raises(FloatingPointError, match=r"group\(s\) \[2\]"):
        group_gradient_penalty(Sqrt(), real, real.clone(), torch.tensor([0, 2, 1]))


def test_critic_with_wrong_output_size_rejected() -> None:
    with pytest.raises(ValueError, match="one score per row"):
        gradient_penalty(nn.Linear(2, 3), R, F)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_inputs_stay_on_cuda() -> None:
    critic = mlp().cuda()
    real, fake = torch.randn(8, 2, device="cuda"), torch.randn(8, 2, device="cuda")
    res = group_gradient_penalty(critic, real, fake, torch.tensor([0, 1] * 4, device="cuda"))
    assert res.penalty.device.type == "cuda" and res.per_group.device.type == "cuda"
    assert gradient_penalty(critic, real, fake).device.type == "cuda"
    assert r1_penalty(critic, real).device.type == "cuda"
