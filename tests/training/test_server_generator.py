"""The server-side generator: one optimiser stepping against many clients' critics."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from fedgan.federation._robust import combine
from fedgan.models import Critic, Generator
from fedgan.training import CriticFeedback, ServerGenerator, TrainConfig

CFG = TrainConfig(batch_size=32, lr_g=1e-2, lr_final=1.0)


def _generator(num_sources: int = 4) -> Generator:
    torch.manual_seed(0)
    return Generator((2,), latent_dim=4, num_sources=num_sources, hidden=16, depth=2)


def _critic(seed: int) -> Critic:
    torch.manual_seed(seed)
    return Critic((2,), num_labels=2, hidden=16, depth=2)


def _feedback(critic: Critic, pid: int, groups: list[int], weights: list[float]) -> CriticFeedback:
    g = torch.tensor(groups)
    return CriticFeedback(
        critic=critic,
        sources=g + 2 * pid,
        groups=g,
        group_weights=torch.tensor(weights, dtype=torch.float32),
    )


def _train(feedback: list[CriticFeedback], w: list[float], **kw: object) -> Generator:
    gen = _generator()
    ServerGenerator(gen, CFG, total_steps=10).train(feedback, np.array(w), steps=3, seed=7, **kw)  # type: ignore[arg-type]
    return gen


def _params(gen: Generator) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in gen.parameters()])


def test_a_zero_weight_client_has_no_effect() -> None:
    a, b = _feedback(_critic(1), 0, [0, 1], [1, 1]), _feedback(_critic(2), 1, [0], [1, 0])
    only_a = _train([a], [1.0])
    both = _train([a, b], [1.0, 0.0])
    assert torch.allclose(_params(only_a), _params(both), atol=1e-6)
    assert not torch.allclose(_params(_train([a, b], [0.5, 0.5])), _params(only_a), atol=1e-4)


def test_the_weights_change_the_generator() -> None:
    fb = [_feedback(_critic(1), 0, [0, 1], [1, 1]), _feedback(_critic(2), 1, [0], [1, 0])]
    size, balanced = _train(fb, [0.2, 0.8]), _train(fb, [0.8, 0.2])
    assert not torch.allclose(_params(size), _params(balanced), atol=1e-4)


def test_declared_loss_weights_cannot_raise_a_clients_pull() -> None:
    # loss weights are renormalised within each client's term: ×1000 changes nothing
    c1, c2 = _critic(1), _critic(2)
    honest = [_feedback(c1, 0, [0, 1], [1, 1]), _feedback(c2, 1, [0], [1, 0])]
    loud = [_feedback(c1, 0, [0, 1], [1000, 1000]), _feedback(c2, 1, [0], [1, 0])]
    assert torch.allclose(_params(_train(honest, [0.5, 0.5])), _params(_train(loud, [0.5, 0.5])))


def test_mean_rule_through_combine_equals_the_weighted_sum() -> None:
    fb = [_feedback(_critic(s), s % 2, [0, 1], [1, 1]) for s in range(3)]
    w = [0.2, 0.3, 0.5]
    direct = _train(fb, w)
    through = _train(fb, w, combine=lambda grads, wk: combine(grads, wk, "mean"))
    assert torch.allclose(_params(direct), _params(through), atol=1e-5)


def test_median_resists_one_scaled_critic() -> None:
    honest = [_feedback(_critic(s), s % 2, [0, 1], [1, 1]) for s in range(4)]
    big = copy.deepcopy(honest[0].critic)
    with torch.no_grad():
        big.head.weight.mul_(1000.0)  # type: ignore[operator]
    bad = [*honest, _feedback(big, 0, [0, 1], [1, 1])]
    w = [0.2] * 5
    ref = _params(_train(honest, [0.25] * 4))
    start = _params(_generator())

    def med(grads: list[torch.Tensor], wk: np.ndarray) -> torch.Tensor:
        return combine(grads, wk, "median")

    robust = _params(_train(bad, w, combine=med))
    naive = _params(_train(bad, w))
    # Adam normalises step sizes, so compare directions: the median follows the honest move
    cos = nn.functional.cosine_similarity
    assert cos(robust - start, ref - start, dim=0) > cos(naive - start, ref - start, dim=0)
    assert cos(robust - start, ref - start, dim=0) > 0.5


class _Linear(Critic):
    """A critic scoring ``x · u`` whatever the group: the generator must move along ``u``."""

    def __init__(self, u: torch.Tensor) -> None:
        super().__init__((2,), num_labels=2, hidden=4, depth=1)
        self.u = u

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return x.flatten(1) @ self.u


def test_samples_move_toward_a_higher_critic_score() -> None:
    u = torch.tensor([1.0, -2.0])
    gen = _generator()
    z = torch.randn(256, 4, generator=torch.Generator().manual_seed(3))
    src = torch.zeros(256, dtype=torch.long)
    before = float((gen(z, None, src) @ u).mean().detach())
    trainer = ServerGenerator(gen, CFG, total_steps=20)
    trainer.train([_feedback(_Linear(u), 0, [0], [1, 0])], np.array([1.0]), steps=20, seed=0)
    after = float((gen(z, None, src) @ u).mean().detach())
    assert after > before + 0.5
    assert trainer.steps == 20


def test_state_round_trips_and_resumes_bit_for_bit() -> None:
    fb = [_feedback(_critic(1), 0, [0, 1], [1, 1])]
    straight = _generator()
    t = ServerGenerator(straight, CFG, total_steps=10)
    t.train(fb, np.array([1.0]), steps=2, seed=1)
    t.train(fb, np.array([1.0]), steps=2, seed=2)
    resumed = _generator()
    first = ServerGenerator(resumed, CFG, total_steps=10)
    first.train(fb, np.array([1.0]), steps=2, seed=1)
    again = ServerGenerator(resumed, CFG, total_steps=10)
    again.restore(first.state())
    again.train(fb, np.array([1.0]), steps=2, seed=2)
    assert torch.equal(_params(straight), _params(resumed))


@pytest.mark.parametrize(("w", "steps"), [([1.0, 1.0], 1), ([1.0], 0)])
def test_bad_arguments_are_refused(w: list[float], steps: int) -> None:
    t = ServerGenerator(_generator(), CFG, total_steps=10)
    with pytest.raises(ValueError, match=r"weight|steps"):
        t.train([_feedback(_critic(1), 0, [0], [1, 0])], np.array(w), steps=steps, seed=0)


def _recorded_client_grads(fb: list[CriticFeedback], w: list[float]) -> list[torch.Tensor]:
    """Each client's gradient of its own loss over the shared weights, by another route:
    the per-client gradients the robust path hands to ``combine`` in the first step."""
    seen: list[list[torch.Tensor]] = []

    def record(grads: list[torch.Tensor], wk: np.ndarray) -> torch.Tensor:
        seen.append([g.detach().clone() for g in grads])
        return sum(float(a) * g for a, g in zip(wk, grads))  # type: ignore[return-value]

    gen = _generator()
    shared = [n != "source_embed.weight" for n, _ in gen.named_parameters()]
    ServerGenerator(gen, CFG, total_steps=10).train(
        fb, np.array(w), steps=1, seed=7, combine=record
    )
    per_param = [s for s, keep in zip(seen, shared) if keep]
    return [torch.cat([p[k].flatten() for p in per_param]).double() for k in range(len(fb))]


def test_group_pull_splits_the_shared_gradient_exactly() -> None:
    # Two clients, one group each: group g's share is <w_g ∇L_g, ∇L> / |∇L|², which the
    # clients' own gradients (taken one by one on the robust path) give independently.
    fb = [_feedback(_critic(1), 0, [0], [1, 0]), _feedback(_critic(2), 1, [1], [0, 1])]
    w = [0.7, 0.3]
    pull = ServerGenerator(_generator(), CFG, total_steps=10).group_pull(fb, np.array(w), seed=7)
    g0, g1 = (wk * g for wk, g in zip(w, _recorded_client_grads(fb, w)))
    whole = g0 + g1
    expected = [float(g0 @ whole / (whole @ whole)), float(g1 @ whole / (whole @ whole))]
    np.testing.assert_allclose(pull, expected, rtol=1e-4)
    assert pull.sum() == pytest.approx(1.0)


def test_group_pull_follows_the_weights_and_leaves_the_generator_alone() -> None:
    fb = [_feedback(_critic(1), 0, [0], [1, 0]), _feedback(_critic(2), 1, [1], [0, 1])]
    gen = _generator()
    before, rng_before = _params(gen).clone(), torch.get_rng_state()
    trainer = ServerGenerator(gen, CFG, total_steps=10)
    shares = [trainer.group_pull(fb, np.array([1 - m, m]), seed=7)[1] for m in (0.0, 0.2, 0.5, 0.8)]
    assert torch.equal(torch.get_rng_state(), rng_before)  # no draw from the global stream
    assert shares[0] == pytest.approx(0.0, abs=1e-12)
    assert shares == sorted(shares) and shares[-1] > 0.5  # more weight, more pull
    assert torch.equal(_params(gen), before) and trainer.steps == 0
    assert all(p.grad is None for p in gen.parameters())
