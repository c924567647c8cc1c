"""Local training: reproducibility, statistics, lazy regularisation, persistence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fedgan.config import RunConfig, RunConfigError
from fedgan.federated import critic_from_arrays, critic_to_arrays
from fedgan.models import build_models
from fedgan.training import ClientData, CriticState, TrainConfig, resolve_device, train_local


def _data(n: int = 200) -> ClientData:
    g = torch.Generator().manual_seed(0)
    groups = (torch.rand(n, generator=g) < 0.1).long()
    return ClientData(torch.randn(n, 2, generator=g) + 3 * groups[:, None], groups, None, 2)


def _run(seed: int, cfg: TrainConfig) -> tuple:
    torch.manual_seed(0)
    gen, critic = build_models((2,), hidden=16)
    data = _data()
    state = CriticState.create(critic, data, cfg)
    stats = train_local(gen, state, data, cfg, seed=seed)
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
    assert state.steps == 12
    assert stats.count.tolist() == _data().group_counts().tolist()
    assert np.isfinite(stats.wasserstein).all() and np.isfinite(stats.grad_norm).all()
    assert stats.group_weight.sum() == pytest.approx(1.0)


def test_critic_state_roundtrip_continues_identically() -> None:
    cfg = TrainConfig(
        generator_steps=2, n_critic=2, batch_size=32, gp_every=1, group_weighting="group-dro"
    )
    gen, state, _ = _run(0, cfg)
    saved = critic_to_arrays(state)
    assert not any(k.startswith("model/") and "net" in k for k in saved if False)
    _, critic2 = build_models((2,), hidden=16)
    restored = critic_from_arrays(critic2, _data(), cfg, saved)
    assert restored.steps == state.steps
    assert torch.allclose(restored.reweighter.weights, state.reweighter.weights)
    gen2 = type(gen)((2,), hidden=16)
    gen2.load_state_dict(gen.state_dict())
    train_local(gen, state, _data(), cfg, seed=5)
    train_local(gen2, restored, _data(), cfg, seed=5)
    for p, q in zip(state.critic.parameters(), restored.critic.parameters()):
        assert torch.allclose(p, q, atol=1e-6)  # Adam moments carried over too


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"n_critic": 0}, "n_critic"), ({"gp_fraction": 0.0}, "gp_fraction"), ({"lr_d": -1.0}, "lr_d"),
     ({"group_weighting": "median"}, "median"), ({"betas": (0.5, 1.0)}, "betas")],
)  # fmt: skip
def test_train_config_errors(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        TrainConfig(**kwargs)


def test_lambda_length_checked_before_training() -> None:
    with pytest.raises(ValueError, match="lambda_gp"):
        _run(0, TrainConfig(lambda_gp=(1.0, 2.0, 3.0)))


def test_device_choice() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"scenario": "grid99"}, "scenario"),
        ({"num-server-rounds": 0}, "num-server-rounds"),
        ({"num-server-rounds": 1.5}, "num-server-rounds"),
        ({"aggregation": "median"}, "aggregation"),
        ({"beta": 2.0}, "beta"),
        ({"gp-balance": "pooled"}, "gp-balance"),
        ({"group-weighting": "x"}, "group-weighting"),
        ({"lr-g": 0.0}, "lr-g"),
        ({"alpha": -0.5}, "alpha"),
        ({"target-share": "a,b"}, "target-share"),
        ({"share-critic": "yes"}, "share-critic"),
        ({"device": "tpu"}, "device"),
        ({"model": "conv"}, "model"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_run_config_errors_name_the_key(values: dict, key: str) -> None:
    with pytest.raises(RunConfigError, match=key):
        RunConfig.from_mapping(values)


def test_run_config_matches_pyproject() -> None:
    import tomllib
    from pathlib import Path

    declared = tomllib.loads(Path(__file__).parents[1].joinpath("pyproject.toml").read_text())
    values = declared["tool"]["flwr"]["app"]["config"]
    cfg = RunConfig.from_mapping(values)
    assert cfg == RunConfig()  # the dataclass defaults are the declared defaults
    assert cfg.scenario_spec(10).num_partitions == 10


def test_minority_partitions_checked_against_real_client_count() -> None:
    cfg = RunConfig.from_mapping({"minority-partitions": 6})
    assert cfg.scenario_spec(10).minority_partitions == 6
    with pytest.raises(ValueError, match="minority_partitions"):
        cfg.scenario_spec(5)
