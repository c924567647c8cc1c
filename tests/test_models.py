"""Shapes, per-source layers, standardisation, and a one-step CPU training test per network."""

from __future__ import annotations

import pytest
import torch

from fedgan.models import Generator, SourceLinear, build_models
from fedgan.training import ClientData, LocalState, TrainConfig, train_local

CASES = [
    ((2,), "mlp", 0, 0, 0),
    ((13,), "mlp", 0, 0, 0),
    ((2,), "mlp", 5, 0, 0),
    ((2,), "mlp", 0, 4, 4),
    ((2,), "mlp", 0, 4, 0),
    ((1, 8, 8), "conv", 0, 0, 0),
    ((1, 8, 8), "conv", 10, 0, 0),
    ((1, 8, 8), "conv", 0, 2, 0),
    ((1, 28, 28), "conv", 0, 0, 0),
]


@pytest.mark.parametrize(("shape", "kind", "labels", "sources", "owned"), CASES)
def test_shapes_and_one_training_step(
    shape: tuple, kind: str, labels: int, sources: int, owned: int
) -> None:
    torch.manual_seed(0)
    gen, critic = build_models(
        shape,
        kind=kind,
        num_labels=labels,
        num_sources=sources,  # type: ignore[arg-type]
        source_layers=owned,
        hidden=16,
    )
    n = 32
    y = torch.randint(0, labels, (n,)) if labels else None
    s = torch.randint(0, sources, (n,)) if sources else None
    x = gen(torch.randn(n, gen.latent_dim), y, s)
    assert x.shape == (n, *shape)
    assert critic(x, y).shape == (n,)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in critic.modules())
    data = ClientData(torch.randn(n, *shape), torch.randint(0, 2, (n,)), y, 2, sources=s)
    cfg = TrainConfig(generator_steps=1, n_critic=1, batch_size=8, batch_sampling="uniform")
    state = LocalState.create(critic, data, cfg)
    state.bind_generator(gen)
    g_before = [p.detach().clone() for p in gen.parameters()]
    c_before = [p.detach().clone() for p in critic.parameters()]
    stats = train_local(gen, state, data, seed=0)
    assert any(not torch.equal(a, b) for a, b in zip(g_before, gen.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(c_before, critic.parameters()))
    assert state.steps == 1 and stats.count.sum() == n


def test_source_linear_uses_each_sources_own_matrix() -> None:
    torch.manual_seed(0)
    layer = SourceLinear(3, 4, 2)
    assert torch.equal(layer.weight[0], layer.weight[2])  # all sources start equal
    with torch.no_grad():
        layer.weight[1] += 1.0
    h, src = torch.randn(7, 4), torch.tensor([2, 1, 0, 1, 2, 2, 0])
    out = layer(h, src)
    ref = torch.stack([h[i] @ layer.weight[s].T + layer.bias[s] for i, s in enumerate(src)])
    assert torch.allclose(out, ref, atol=1e-6)
    out.sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad[1].abs().sum() > 0


def test_sources_own_only_their_slices() -> None:
    gen = Generator((2,), num_sources=6, source_layers=2, hidden=8)
    names = gen.source_parameter_names()
    assert (
        "source_embed.weight" in names and "layers.3.weight" in names and "layers.2.bias" in names
    )
    assert "layers.0.weight" not in names and "layers.1.weight" not in names
    assert all(dict(gen.named_parameters())[n].shape[0] == 6 for n in names)
    # one source's gradient reaches only that source's slices
    out = gen(torch.randn(4, gen.latent_dim), sources=torch.full((4,), 3))
    out.sum().backward()
    for n in names:
        grad = dict(gen.named_parameters())[n].grad
        assert grad is not None and grad[3].abs().sum() > 0
        assert grad[[0, 1, 2, 4, 5]].abs().sum() == 0


def test_sample_maps_to_data_space() -> None:
    torch.manual_seed(0)
    gen = Generator((2,), hidden=8)
    z_rng = torch.Generator().manual_seed(1)
    model = gen.sample(5, rng=z_rng)
    gen.set_standardisation(torch.tensor([10.0, -3.0]), 2.5)
    data = gen.sample(5, rng=torch.Generator().manual_seed(1))
    assert torch.allclose(data, model * 2.5 + torch.tensor([10.0, -3.0]), atol=1e-6)


def test_conditional_models_need_labels_and_sources() -> None:
    gen, critic = build_models((2,), num_labels=3, num_sources=2)
    with pytest.raises(ValueError, match="labels"):
        gen(torch.randn(2, gen.latent_dim), sources=torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="sources"):
        gen(torch.randn(2, gen.latent_dim), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="labels"):
        critic(torch.randn(2, 2))


def test_critic_width_is_its_own() -> None:
    gen, critic = build_models((2,), hidden=16, critic_hidden=24, depth=3)
    g_widths = {m.out_features for m in gen.modules() if isinstance(m, torch.nn.Linear)}
    c_linear = [m for m in critic.modules() if isinstance(m, torch.nn.Linear)]
    assert g_widths == {16, 2}
    # 2 -> 24 -> 24 -> 24 -> 1: weights and biases counted by hand
    assert sum(p.numel() for p in critic.parameters()) == (2 * 24 + 24) + 2 * (24 * 24 + 24) + 25
    assert [m.out_features for m in c_linear] == [24, 24, 24, 1]
    _, same = build_models((2,), hidden=16)
    assert sum(p.numel() for p in same.parameters()) == (2 * 16 + 16) + 2 * (16 * 16 + 16) + 17
    with pytest.raises(ValueError, match="hidden"):
        build_models((2,), critic_hidden=0)


def test_bad_model_arguments() -> None:
    with pytest.raises(ValueError, match="kind"):
        build_models((2,), kind="resnet")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="8×8 and 28×28"):
        build_models((1, 16, 16), kind="conv")
    with pytest.raises(ValueError, match="latent_dim"):
        build_models((2,), latent_dim=-1)
    with pytest.raises(ValueError, match="source_layers"):
        build_models((2,), num_sources=2, source_layers=5)
    with pytest.raises(ValueError, match="source_layers"):
        build_models((1, 8, 8), kind="conv", num_sources=2, source_layers=1)


def test_categorical_blocks_are_distributions_in_data_space() -> None:
    torch.manual_seed(0)
    gen = Generator((7,), hidden=8)
    shift = torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0, 0.0, 0.0])
    gen.set_standardisation(shift, 2.0)
    free = gen.sample(64, rng=torch.Generator().manual_seed(3))
    gen.set_categorical_blocks([(1, 3), (4, 7)])
    data = gen.sample(64, rng=torch.Generator().manual_seed(3))
    for start, stop in ((1, 3), (4, 7)):
        block = data[:, start:stop]
        assert torch.all(block >= 0) and torch.allclose(block.sum(1), torch.ones(64), atol=1e-5)
        # the softmax of the free output's own values: same logits, same argmax
        assert torch.allclose(block, torch.softmax(free[:, start:stop], dim=1), atol=1e-5)
    # features outside the blocks are untouched
    assert torch.allclose(data[:, [0, 3]], free[:, [0, 3]], atol=1e-6)
    # gradients reach every generator weight through the softmax
    out = gen(torch.randn(4, gen.latent_dim))
    out[:, 1:3].pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in gen.layers[-1].parameters())


def test_gumbel_blocks_draw_categories_in_the_softmax_shares() -> None:
    torch.manual_seed(0)
    gen = Generator((5,), hidden=8)
    gen.set_categorical_blocks([(2, 5)], gumbel_tau=0.2)
    assert gen.noise_dim == gen.latent_dim + 3
    # constant logits (last layer zeroed, bias set): only the Gumbel noise varies the draw
    last = gen.layers[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 1.0, 2.0]))
    data = gen.sample(20_000, rng=torch.Generator().manual_seed(1))
    block = data[:, 2:5]
    assert torch.allclose(block.sum(1), torch.ones(20_000), atol=1e-5)
    # at temperature 0.2 a draw is close to one-hot
    assert (block.max(1).values > 0.9).float().mean() > 0.7  # 0.79 measured; softmax: 0
    # Gumbel-max: the argmax shares are the softmax of the logits (independent reference)
    shares = torch.bincount(block.argmax(1), minlength=3).float() / 20_000
    assert torch.allclose(shares, torch.softmax(torch.tensor([0.0, 1.0, 2.0]), 0), atol=0.015)
    # the same seeded noise, the same records
    assert torch.equal(data, gen.sample(20_000, rng=torch.Generator().manual_seed(1)))
    with pytest.raises(ValueError, match="noise_dim = 11"):
        gen(torch.randn(4, gen.latent_dim))
    with pytest.raises(ValueError, match="gumbel_tau"):
        gen.set_categorical_blocks([(2, 5)], gumbel_tau=-0.1)


@pytest.mark.parametrize("blocks", [[(1, 1)], [(2, 4), (3, 5)], [(4, 6), (1, 3)], [(5, 8)]])
def test_bad_categorical_blocks_are_refused(blocks: list[tuple[int, int]]) -> None:
    gen = Generator((7,), hidden=8)
    with pytest.raises(ValueError, match="categorical blocks"):
        gen.set_categorical_blocks(blocks)
    assert gen.blocks == ()
