"""The closed-form per-sample gradients of the MLP critic equal the generic ``vmap`` route."""

from __future__ import annotations

import pytest
import torch

from fedgan.models import build_models
from fedgan.privacy import per_sample_critic_grads
from fedgan.privacy._closed_form import RowTerms, mlp_layers, mlp_per_sample_grads
from fedgan.privacy._per_sample import _vmap_grads


def _inputs(shape: tuple[int, ...], b: int, num_labels: int, seed: int = 0):  # type: ignore[no-untyped-def]
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(b, *shape, generator=g, dtype=torch.float64)
    fake = torch.randn(b, *shape, generator=g, dtype=torch.float64)
    eps = torch.rand(b, generator=g, dtype=torch.float64)
    groups = torch.randint(0, 2, (b,), generator=g)
    labels = torch.randint(0, num_labels, (b,), generator=g) if num_labels else None
    return real, fake, eps, groups, labels


@pytest.mark.parametrize(
    ("shape", "num_labels", "depth"), [((2,), 0, 3), ((2,), 5, 3), ((1, 8, 8), 0, 2), ((3,), 4, 1)]
)
def test_closed_form_equals_vmap(shape: tuple[int, ...], num_labels: int, depth: int) -> None:
    torch.manual_seed(1)
    _, critic = build_models(shape, kind="mlp", hidden=32, depth=depth, num_labels=num_labels)
    critic = critic.double()
    real, fake, eps, groups, labels = _inputs(shape, 40, num_labels)
    lam = torch.tensor([2.5, 10.0], dtype=torch.float64)
    assert mlp_layers(critic) is not None  # the fast path is the one under test
    fast = per_sample_critic_grads(
        critic, real, fake, groups, labels=labels, lambda_gp=lam, target=0.8, eps=eps
    )
    ones = torch.ones(len(groups), dtype=torch.float64)
    terms = RowTerms(real, fake, eps, (ones, ones, lam[groups]), 0.8, labels)
    ref = _vmap_grads(critic, terms)
    assert list(fast) == list(ref) == [n for n, _ in critic.named_parameters()]
    for name in ref:
        assert fast[name].shape == ref[name].shape
        torch.testing.assert_close(fast[name], ref[name], rtol=1e-10, atol=1e-12, msg=name)


def test_other_critics_take_the_generic_route() -> None:
    _, conv = build_models((1, 8, 8), kind="conv", hidden=8)
    assert mlp_layers(conv) is None
    seq = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.LeakyReLU(0.2), torch.nn.Linear(4, 1))
    assert mlp_layers(seq) is None
    _, mlp = build_models((2,), kind="mlp", hidden=8)
    mlp.head.weight.requires_grad_(False)  # frozen parameters: leave it to vmap
    assert mlp_layers(mlp) is None


def test_kept_buffers_give_the_same_gradients_as_fresh_ones() -> None:
    torch.manual_seed(2)
    _, critic = build_models((2,), kind="mlp", hidden=16)
    layers = mlp_layers(critic)
    assert layers is not None
    out: dict[str, torch.Tensor] = {}
    for b in (30, 50, 10):  # grow, then shrink: results are views of the kept buffers
        real, fake, eps, _, _ = _inputs((2,), b, 0, seed=b)
        real, fake, eps = real.float(), fake.float(), eps.float()
        coef = (torch.rand(b), torch.rand(b), torch.full((b,), 10.0))
        terms = RowTerms(real, fake, eps, coef, 1.0, None)
        kept = mlp_per_sample_grads(critic, layers, terms, out)
        fresh = mlp_per_sample_grads(critic, layers, terms)
        for name in fresh:
            assert kept[name].shape[0] == b
            torch.testing.assert_close(kept[name], fresh[name], msg=name)
    assert all(buf.shape[0] >= 50 for buf in out.values())


@pytest.mark.parametrize("num_labels", [0, 3])
def test_weighted_rows_closed_form_equals_vmap(num_labels: int) -> None:
    # Row weights of the group-reweighted objective (real, fake, penalty) on both routes.
    torch.manual_seed(3)
    _, critic = build_models((2,), kind="mlp", hidden=16, num_labels=num_labels)
    critic = critic.double()
    real, fake, eps, _, labels = _inputs((2,), 24, num_labels, seed=7)
    g = torch.Generator().manual_seed(1)
    coef = tuple(torch.rand(24, generator=g, dtype=torch.float64) for _ in range(3))
    layers = mlp_layers(critic)
    assert layers is not None
    terms = RowTerms(real, fake, eps, coef, 1.0, labels)  # type: ignore[arg-type]
    fast = mlp_per_sample_grads(critic, layers, terms)
    ref = _vmap_grads(critic, terms)
    for name in ref:
        torch.testing.assert_close(fast[name], ref[name], rtol=1e-10, atol=1e-12, msg=name)
