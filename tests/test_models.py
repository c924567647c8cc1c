"""Shapes and a one-step CPU training test per network."""

from __future__ import annotations

import pytest
import torch

from fedgan.models import build_models
from fedgan.training import ClientData, CriticState, TrainConfig, train_local

CASES = [
    ((2,), "mlp", 0),
    ((13,), "mlp", 0),
    ((2,), "mlp", 5),
    ((1, 8, 8), "conv", 0),
    ((1, 8, 8), "conv", 10),
    ((1, 28, 28), "conv", 0),
]


@pytest.mark.parametrize(("shape", "kind", "labels"), CASES)
def test_shapes_and_one_training_step(shape: tuple, kind: str, labels: int) -> None:
    torch.manual_seed(0)
    gen, critic = build_models(shape, kind=kind, num_labels=labels, hidden=16)  # type: ignore[arg-type]
    y = torch.randint(0, labels, (6,)) if labels else None
    x = gen(torch.randn(6, gen.latent_dim), y)
    assert x.shape == (6, *shape)
    assert critic(x, y).shape == (6,)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in critic.modules())
    n = 32
    data = ClientData(
        torch.randn(n, *shape),
        torch.randint(0, 2, (n,)),
        torch.randint(0, labels, (n,)) if labels else None,
        2,
    )
    cfg = TrainConfig(generator_steps=1, n_critic=1, batch_size=8, gp_every=1)
    state = CriticState.create(critic, data, cfg)
    g_before = [p.detach().clone() for p in gen.parameters()]
    c_before = [p.detach().clone() for p in critic.parameters()]
    stats = train_local(gen, state, data, cfg, seed=0)
    assert any(not torch.equal(a, b) for a, b in zip(g_before, gen.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(c_before, critic.parameters()))
    assert state.steps == 1 and stats.count.sum() == n


def test_conditional_models_need_labels() -> None:
    gen, critic = build_models((2,), num_labels=3)
    with pytest.raises(ValueError, match="labels"):
        gen(torch.randn(2, gen.latent_dim))
    with pytest.raises(ValueError, match="labels"):
        critic(torch.randn(2, 2))


def test_bad_model_arguments() -> None:
    with pytest.raises(ValueError, match="kind"):
        build_models((2,), kind="resnet")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="8×8 and 28×28"):
        build_models((1, 16, 16), kind="conv")
    with pytest.raises(ValueError, match="latent_dim"):
        build_models((2,), latent_dim=-1)
