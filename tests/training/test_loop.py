"""Local training: reproducibility, statistics, lazy regularisation, schedule, DP path."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from fedgan.designs import DESIGNS
from fedgan.federation._client_state import restore_state, save_state
from fedgan.models import build_models
from fedgan.privacy import PrivacySettings
from fedgan.training import ClientData, LocalState, TrainConfig, resolve_device, train_local


def _data(n: int = 200) -> ClientData:
    g = torch.Generator().manual_seed(0)
    groups = (torch.rand(n, generator=g) < 0.1).long()
    return ClientData(torch.randn(n, 2, generator=g) + 3 * groups[:, None], groups, None, 2)


def _run(seed: int, cfg: TrainConfig, total: int | None = None) -> tuple:
    torch.manual_seed(0)
    gen, critic = build_models((2,), hidden=16)
    data = _data()
    state = LocalState.create(critic, data, cfg)
    state.bind_generator(gen)
    stats = train_local(gen, state, data, seed=seed, total_steps=total)
    return gen, state, stats


def test_same_seed_same_result() -> None:
    cfg = TrainConfig(generator_steps=3, n_critic=2, batch_size=32, gp_every=2)
    a, _, sa = _run(1, cfg)
    b, _, sb = _run(1, cfg)
    c, _, _ = _run(2, cfg)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(x, y) for x, y in zip(a.parameters(), c.parameters()))
    assert np.array_equal(sa.wasserstein, sb.wasserstein)


def test_stats_per_group_and_lazy_schedule() -> None:
    cfg = TrainConfig(generator_steps=4, n_critic=3, batch_size=64, gp_every=4)
    _, state, stats = _run(0, cfg)
    assert state.steps == 12 and state.generator_steps == 4
    assert stats.count.tolist() == _data().group_counts().tolist()
    assert np.isfinite(stats.wasserstein).all() and np.isfinite(stats.grad_norm).all()
    assert stats.group_weight.sum() == pytest.approx(1.0)


def test_learning_rate_decays_linearly_over_the_run() -> None:
    cfg = TrainConfig(generator_steps=5, batch_size=16, lr_g=1e-3, lr_d=2e-3, lr_final=0.1)
    _, state, _ = _run(0, cfg, total=10)
    # after steps 0..4 of 10 the last factor set is 1 - 0.9 * 4/10
    assert state.generator_optimizer.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.64)
    assert state.critic_optimizer.param_groups[0]["lr"] == pytest.approx(2e-3 * 0.64)
    assert cfg.lr_factor(10, 10) == pytest.approx(0.1) and cfg.lr_factor(0, 10) == 1.0


def test_stratified_batches_hold_every_group() -> None:
    from fedgan.training import BatchSampler

    data = _data()
    s = BatchSampler(
        data, batch_size=40, sampling="stratified", rng=torch.Generator().manual_seed(0)
    )
    idx = s.indices()
    counts = torch.bincount(data.groups[idx], minlength=2)
    assert counts.tolist() == [40, 40]  # batch-size rows of each group, however rare
    u = BatchSampler(data, batch_size=40, sampling="uniform", rng=torch.Generator().manual_seed(0))
    assert len(u.indices()) == 40


@pytest.mark.parametrize("design", ["private-critics", "shared-critic", "client-conditional"])
def test_state_roundtrip_continues_identically(design: str) -> None:
    cfg = TrainConfig(generator_steps=2, n_critic=2, batch_size=32, group_weighting="group-dro")
    gen, state, _ = _run(0, cfg)
    d = DESIGNS[design]  # type: ignore[index]
    saved = save_state(state, gen, d)
    _, critic2 = build_models((2,), hidden=16)
    critic2.load_state_dict(state.critic.state_dict())  # what the server sends when it travels
    gen2 = type(gen)((2,), hidden=16)
    gen2.load_state_dict(gen.state_dict())
    restored = restore_state(
        critic=critic2,
        generator=gen2,
        data=_data(),
        config=cfg,
        privacy=PrivacySettings(),
        design=d,
        saved=saved,
        seed=0,
    )
    assert restored.steps == state.steps and restored.generator_steps == state.generator_steps
    assert torch.allclose(restored.reweighter.weights, state.reweighter.weights)
    train_local(gen, state, _data(), seed=5)
    train_local(gen2, restored, _data(), seed=5)
    for p, q in zip(state.critic.parameters(), restored.critic.parameters()):
        assert torch.allclose(p, q, atol=1e-6)  # Adam moments carried over too
    for p, q in zip(gen.parameters(), gen2.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


def test_dp_diagnostics_are_not_released() -> None:
    cfg = TrainConfig(generator_steps=2, n_critic=1, batch_size=32)
    gen, critic = build_models((2,), hidden=16)
    data = _data()
    state = restore_state(
        critic=critic,
        generator=gen,
        data=data,
        config=cfg,
        design=DESIGNS["private-critics"],
        privacy=PrivacySettings(mode="critic", noise_multiplier=1.0),
        saved=None,
        seed=0,
    )
    stats = train_local(gen, state, data, seed=0)
    assert state.private is not None and state.private.steps == 2
    assert np.isnan(stats.wasserstein).all()  # computed on private rows: not released


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_critic": 0}, "n_critic"),
        ({"gp_fraction": 0.0}, "gp_fraction"),
        ({"lr_d": -1.0}, "lr_d"),
        ({"group_weighting": "median"}, "median"),
        ({"betas": (0.5, 1.0)}, "betas"),
        ({"lr_final": 0.0}, "lr_final"),
        ({"batch_sampling": "poisson"}, "batch_sampling"),
        ({"lambda_gp": float("nan")}, "lambda_gp"),
    ],
)
def test_train_config_errors(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        TrainConfig(**kwargs)


def test_lambda_length_checked_before_training() -> None:
    with pytest.raises(ValueError, match="lambda_gp"):
        _run(0, dataclasses.replace(TrainConfig(), lambda_gp=(1.0, 2.0, 3.0)))


def test_device_choice() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")
