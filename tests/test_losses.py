"""Tests for fedgan.losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fedgan import GroupReweighter, GroupWeighting, critic_loss, generator_loss


def test_plain_losses_without_groups() -> None:
    d_real, d_fake = torch.tensor([1.0, 3.0]), torch.tensor([0.0, -2.0, 5.0])
    assert float(critic_loss(d_real, d_fake)) == pytest.approx(1.0 - 2.0)
    assert float(generator_loss(d_fake)) == pytest.approx(-1.0)


def test_critic_loss_group_weights_on_real_term_only() -> None:
    d_real = torch.tensor([1.0, 1.0, 1.0, 10.0])
    groups = torch.tensor([0, 0, 0, 1])
    d_fake = torch.tensor([2.0, 4.0])
    # uniform over groups: real term = (1 + 10)/2; fake term plain mean = 3
    assert float(critic_loss(d_real, d_fake, groups)) == pytest.approx(3.0 - 5.5)
    w = [0.25, 0.75]
    assert float(critic_loss(d_real, d_fake, groups, group_weights=w)) == pytest.approx(3.0 - 7.75)


def test_critic_loss_conditional_fake_groups() -> None:
    d_real = torch.tensor([1.0, 2.0, 3.0])
    d_fake = torch.tensor([0.0, 6.0, 9.0])
    g = torch.tensor([0, 0, 1])
    expected = 0.5 * (3.0 - 1.5) + 0.5 * (9.0 - 3.0)
    assert float(critic_loss(d_real, d_fake, g, fake_groups=g)) == pytest.approx(expected)


def test_weights_renormalised_over_present_groups() -> None:
    d = torch.tensor([2.0, 4.0])
    g = torch.tensor([1, 1])
    assert float(generator_loss(d, g, group_weights=[0.7, 0.2, 0.1])) == pytest.approx(-3.0)


def test_proportional_weights_equal_pooled_mean() -> None:
    torch.manual_seed(0)
    d_real, d_fake = torch.randn(50), torch.randn(50)
    g = torch.randint(0, 3, (50,))
    counts = torch.bincount(g, minlength=3)
    rw = GroupReweighter(GroupWeighting.PROPORTIONAL, counts=counts)
    got = critic_loss(d_real, d_fake, g, fake_groups=g, group_weights=rw.weights)
    assert float(got) == pytest.approx(float(d_fake.mean() - d_real.mean()), abs=1e-6)


def test_losses_are_differentiable() -> None:
    d = torch.randn(6, requires_grad=True)
    generator_loss(d, torch.tensor([0, 0, 1, 1, 2, 2])).backward()
    assert d.grad is not None and torch.allclose(d.grad, torch.full((6,), -1 / 6))


def test_static_schemes() -> None:
    counts = [80, 20, 0]
    assert GroupReweighter("uniform", counts=counts).weights.tolist() == pytest.approx(
        [0.5, 0.5, 0]
    )
    assert GroupReweighter("proportional", counts=counts).weights.tolist() == pytest.approx(
        [0.8, 0.2, 0]
    )
    inv = GroupReweighter("inverse-frequency", counts=counts).weights
    assert inv.tolist() == pytest.approx([0.2, 0.8, 0])
    assert GroupReweighter("uniform", counts=counts).update(
        torch.tensor([1.0, 2, 3])
    ).tolist() == pytest.approx([0.5, 0.5, 0])


def test_group_dro_exponentiated_gradient() -> None:
    rw = GroupReweighter("group-dro", counts=[50, 50], step_size=0.5)
    w = rw.update(torch.tensor([0.0, 2.0]))
    e = float(torch.exp(torch.tensor(1.0)))
    assert w.tolist() == pytest.approx([1 / (1 + e), e / (1 + e)], rel=1e-6)
    w2 = rw.update(torch.tensor([float("nan"), 0.0]))  # absent group: no move
    assert w2.tolist() == pytest.approx(w.tolist(), rel=1e-6)
    for _ in range(50):
        rw.update(torch.tensor([0.0, 1.0]))
    assert float(rw.weights[1]) > 0.99 and float(rw.weights.sum()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: GroupReweighter("balanced", counts=[1, 2]), "scheme"),
        (lambda: GroupReweighter("uniform", counts=[-1, 2]), "counts"),
        (lambda: GroupReweighter("uniform", counts=[0, 0]), "counts"),
        (lambda: GroupReweighter("group-dro", counts=[1, 2], step_size=-1), "step_size"),
        (
            lambda: GroupReweighter("group-dro", counts=[1, 2]).update(torch.ones(3)),
            "per_group_wasserstein",
        ),
        (
            lambda: critic_loss(
                torch.ones(2), torch.ones(2), torch.tensor([0, 1]), group_weights=[1.0]
            ),
            "groups",
        ),
        (
            lambda: critic_loss(
                torch.ones(2), torch.ones(2), torch.tensor([0, 1]), group_weights=[1.0, -1]
            ),
            "group_weights",
        ),
        (lambda: generator_loss(torch.ones(2), group_weights=[1.0, 1]), "groups"),
        (lambda: critic_loss(torch.ones(0), torch.ones(2)), "d_real"),
    ],
)
def test_bad_input_names_argument(call, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((ValueError, TypeError), match=name):
        call()


# --- the objective written once: row weights, critic_objective, generator_objective ---

from fedgan.losses import (  # noqa: E402
    BatchGroups,
    PenaltyTerm,
    critic_objective,
    generator_objective,
    row_weights,
)
from fedgan.penalties import group_gradient_penalty  # noqa: E402


def test_row_weights_give_weighted_group_means() -> None:
    g = torch.tensor([0, 0, 0, 1, 2, 2])
    w = torch.tensor([0.2, 0.5, 0.3])
    rw = row_weights(g, num_groups=3, group_weights=w, paired=True)
    v = torch.tensor([1.0, 2.0, 3.0, 10.0, 4.0, 6.0])
    assert float((rw.real * v).sum()) == pytest.approx(0.2 * 2.0 + 0.5 * 10.0 + 0.3 * 5.0)
    assert torch.equal(rw.fake, rw.real) and float(rw.real.sum()) == pytest.approx(1.0)
    unpaired = row_weights(g, num_groups=3, group_weights=w, paired=False)
    assert torch.allclose(unpaired.fake, torch.full((6,), 1 / 6))


def test_row_weights_renormalise_over_present_groups() -> None:
    g = torch.tensor([1, 1, 2])
    rw = row_weights(g, num_groups=3, group_weights=torch.tensor([0.6, 0.1, 0.3]), paired=False)
    assert rw.real.tolist() == pytest.approx([0.125, 0.125, 0.75])


@pytest.mark.parametrize("balance", ["group", "sample"])
def test_critic_objective_equals_losses_plus_penalty(balance: str) -> None:
    # The training objective is critic_loss + group_gradient_penalty with the same ε.
    torch.manual_seed(0)
    critic = torch.nn.Sequential(
        torch.nn.Linear(2, 8), torch.nn.LeakyReLU(0.2), torch.nn.Linear(8, 1)
    )

    def score(x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return critic(x).squeeze(1)

    real, fake = torch.randn(20, 2), torch.randn(20, 2)
    g = torch.tensor([0] * 15 + [1] * 5)
    w, lam = torch.tensor([0.4, 0.6]), torch.tensor([3.0, 7.0])
    rows = BatchGroups(groups=g, labels=None, num_groups=2, weights=w, paired=True)
    out = critic_objective(
        score,
        real,
        fake,
        rows,
        penalty=PenaltyTerm(lam, balance=balance),
        rng=torch.Generator().manual_seed(1),
    )
    d_real, d_fake = score(real), score(fake)
    expected = critic_loss(d_real, d_fake, g, fake_groups=g, group_weights=w)
    gp = group_gradient_penalty(
        score, real, fake, g, lambda_gp=lam, balance=balance, rng=torch.Generator().manual_seed(1)
    )
    assert float(out.loss.detach()) == pytest.approx(
        float((expected + gp.penalty).detach()), rel=1e-5
    )
    means = [(d_real[g == k].mean() - d_fake[g == k].mean()).item() for k in (0, 1)]
    assert out.wasserstein.tolist() == pytest.approx(means, rel=1e-5)
    gen = generator_objective(score, fake, rows)
    expected_g = generator_loss(d_fake, g, group_weights=w).detach()
    assert float(gen.detach()) == pytest.approx(float(expected_g), rel=1e-6)


@pytest.mark.parametrize(
    ("call", "exc", "name"),
    [
        (
            lambda: critic_loss(torch.tensor([1.0, float("nan")]), torch.tensor([0.0])),
            ValueError,
            "d_real",
        ),
        (lambda: generator_loss(torch.tensor([float("inf")])), ValueError, "d_fake"),
        (
            lambda: generator_loss(torch.ones(2), torch.tensor([0, 1]), group_weights="0.5,0.5"),
            TypeError,
            "group_weights",
        ),  # type: ignore[arg-type]
        (lambda: GroupReweighter("uniform", counts="12"), TypeError, "counts"),  # type: ignore[arg-type]
        (lambda: GroupReweighter("uniform", counts=[1.0, float("nan")]), ValueError, "counts"),
        (lambda: GroupReweighter("median", counts=[1, 2]), ValueError, "scheme"),
    ],
)
def test_bad_loss_inputs_name_the_argument(call: object, exc: type, name: str) -> None:
    with pytest.raises(exc, match=name):
        call()  # type: ignore[operator]


def test_reweighter_state_roundtrip() -> None:
    rw = GroupReweighter("group-dro", counts=[10, 30], step_size=0.5)
    rw.update(torch.tensor([1.0, 0.0]))
    other = GroupReweighter("group-dro", counts=[10, 30], step_size=0.5)
    other.restore(rw.state())
    assert torch.equal(other.weights, rw.weights)
    with pytest.raises(ValueError, match="shape"):
        other.restore(np.ones(3))
