"""Opacus integration: equivalence at zero noise, accounting, validation, GS-WGAN mode."""

from __future__ import annotations

import copy

import pytest
import torch
from opacus.accountants import RDPAccountant
from torch import nn

from fedgan.config import RunConfig, RunConfigError
from fedgan.privacy import GeneratorGradientPrivacy, make_private_critic


def _critic() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))


def test_zero_noise_no_clipping_equals_non_private_step() -> None:
    critic = _critic()
    plain = copy.deepcopy(critic)
    b = 32
    real, fake, eps = torch.randn(b, 2), torch.randn(b, 2), torch.rand(b)
    groups = torch.randint(0, 2, (b,))
    pc = make_private_critic(
        critic=critic,
        optimizer=torch.optim.Adam(critic.parameters(), lr=1e-2),
        sample_size=10 * b,
        batch_size=b,
        max_grad_norm=1e9,
        noise_multiplier=0.0,
    )
    opt = torch.optim.Adam(plain.parameters(), lr=1e-2)
    for _ in range(3):
        pc.step(real, fake, groups, lambda_gp=[10.0, 4.0], eps=eps)
        x_hat = (eps[:, None] * real + (1 - eps[:, None]) * fake).requires_grad_(True)
        (gx,) = torch.autograd.grad(plain(x_hat).sum(), x_hat, create_graph=True)
        lam = torch.tensor([10.0, 4.0])[groups]
        loss = (
            plain(fake).squeeze(1) - plain(real).squeeze(1) + lam * (gx.norm(dim=1) - 1) ** 2
        ).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for p, q in zip(critic.parameters(), plain.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


def test_clipping_bounds_each_row() -> None:
    critic = _critic()
    before = [p.detach().clone() for p in critic.parameters()]
    pc = make_private_critic(
        critic=critic,
        optimizer=torch.optim.SGD(critic.parameters(), lr=1.0),
        sample_size=100,
        batch_size=10,
        max_grad_norm=0.01,
        noise_multiplier=0.0,
    )
    pc.step(torch.randn(10, 2) * 10, torch.randn(10, 2) * 10)
    delta = torch.cat([(p - b).flatten() for p, b in zip(critic.parameters(), before)])
    assert (
        float(delta.detach().norm()) <= 0.01 * 10 / 10 + 1e-6
    )  # sum of 10 clipped rows / expected batch 10


def test_epsilon_equals_opacus_accountant() -> None:
    critic = _critic()
    pc = make_private_critic(
        critic=critic,
        optimizer=torch.optim.SGD(critic.parameters(), lr=0.1),
        sample_size=1000,
        batch_size=50,
        max_grad_norm=1.0,
        noise_multiplier=1.1,
        delta=1e-5,
    )
    for _ in range(20):
        pc.step(torch.randn(50, 2), torch.randn(50, 2))
    acc = RDPAccountant()
    for _ in range(20):
        acc.step(noise_multiplier=1.1, sample_rate=0.05)
    assert pc.epsilon() == pytest.approx(acc.get_epsilon(1e-5), rel=1e-12)
    assert pc.epsilon(extra_steps=10) > pc.epsilon()


def test_target_epsilon_picks_noise() -> None:
    critic = _critic()
    pc = make_private_critic(
        critic=critic,
        optimizer=torch.optim.SGD(critic.parameters(), lr=0.1),
        sample_size=1000,
        batch_size=50,
        max_grad_norm=1.0,
        target_epsilon=3.0,
        planned_steps=200,
        delta=1e-5,
    )
    assert pc.epsilon(extra_steps=200) == pytest.approx(3.0, abs=0.05)


def test_batchnorm_rejected_and_bad_args() -> None:
    bn = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    with pytest.raises(ValueError, match=r"BatchNorm.*LayerNorm"):
        make_private_critic(
            critic=bn,
            optimizer=torch.optim.SGD(bn.parameters(), lr=0.1),
            sample_size=10,
            batch_size=5,
            max_grad_norm=1.0,
            noise_multiplier=1.0,
        )
    c = _critic()
    for kwargs, name in (
        ({"batch_size": 50}, "batch_size"),
        ({"max_grad_norm": 0.0}, "max_grad_norm"),
        ({"noise_multiplier": None}, "exactly one"),
        ({"delta": 1.0}, "delta"),
    ):
        args = {
            "critic": c,
            "optimizer": torch.optim.SGD(c.parameters(), lr=0.1),
            "sample_size": 10,
            "batch_size": 5,
            "max_grad_norm": 1.0,
            "noise_multiplier": 1.0,
        } | kwargs
        with pytest.raises(ValueError, match=name):
            make_private_critic(**args)


def test_generator_gradient_sanitiser() -> None:
    gp = GeneratorGradientPrivacy(noise_multiplier=1e-9, max_grad_norm=0.5, delta=1e-5)
    grad = torch.randn(8, 3) * 10 / 8
    out = gp.sanitise(grad) * 8
    assert torch.allclose(out.norm(dim=1), torch.full((8,), 0.5), atol=1e-5)
    x = torch.randn(4, 3, requires_grad=True)
    x.register_hook(gp.hook())
    (x.sum()).backward()
    assert gp.steps == 1 and gp.epsilon() > 0
    with pytest.raises(ValueError, match="noise_multiplier"):
        GeneratorGradientPrivacy(noise_multiplier=0.0, max_grad_norm=1.0, delta=1e-5)


def test_run_config_privacy_keys() -> None:
    with pytest.raises(RunConfigError, match="federation"):
        RunConfig.from_mapping({"dp": "generator-gradient", "federation": "shared-critic"})
    with pytest.raises(RunConfigError, match="dp"):
        RunConfig.from_mapping({"dp": "laplace"})
    with pytest.raises(RunConfigError, match="delta"):
        RunConfig.from_mapping({"delta": 0.0})
    with pytest.raises(RunConfigError, match=r"noise-multiplier.*infinity"):
        RunConfig.from_mapping({"dp": "critic", "noise-multiplier": 0.0})
    with pytest.raises(RunConfigError, match="gp-every"):
        RunConfig.from_mapping({"dp": "critic", "gp-every": 4})
    cfg = RunConfig.from_mapping(
        {"dp": "critic", "num-server-rounds": 3, "generator-steps": 4, "n-critic": 5}
    )
    assert cfg.privacy.planned_steps == 60


def test_weighted_private_step_equals_weighted_objective() -> None:
    # The DP step with the objective's row weights, at zero noise and no clipping, takes
    # the same step as autograd on fedgan.losses.critic_objective.
    from fedgan.losses import BatchGroups, PenaltyTerm, critic_objective, row_weights

    critic = _critic()
    plain = copy.deepcopy(critic)
    b = 16
    g = torch.Generator().manual_seed(4)
    real, fake = torch.randn(b, 2, generator=g), torch.randn(b, 2, generator=g)
    groups = torch.tensor([0] * 12 + [1] * 4)
    w, lam = torch.tensor([0.3, 0.7]), torch.tensor([2.0, 5.0])
    rw = row_weights(
        groups, num_groups=2, group_weights=w, paired=True, lambdas=lam, balance="group"
    )
    pc = make_private_critic(
        critic=critic,
        optimizer=torch.optim.SGD(critic.parameters(), lr=0.1),
        sample_size=10 * b,
        batch_size=b,
        max_grad_norm=1e9,
        noise_multiplier=0.0,
    )
    pc.step(real, fake, weights=rw, rng=torch.Generator().manual_seed(9))
    out = critic_objective(
        lambda x, y=None: plain(x).squeeze(1),
        real,
        fake,
        BatchGroups(groups=groups, labels=None, num_groups=2, weights=w, paired=True),
        penalty=PenaltyTerm(lam, balance="group"),
        rng=torch.Generator().manual_seed(9),
    )
    opt = torch.optim.SGD(plain.parameters(), lr=0.1)
    opt.zero_grad()
    out.loss.backward()
    opt.step()
    for p, q in zip(critic.parameters(), plain.parameters()):
        assert torch.allclose(p, q, atol=1e-6)
