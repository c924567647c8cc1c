"""Local WGAN-GP training: one client's generator steps against its own critic."""

from __future__ import annotations

import torch
from torch import Tensor

from fedgan.losses import (
    BatchGroups,
    CriticObjective,
    PenaltyTerm,
    critic_objective,
    generator_objective,
)
from fedgan.models import Generator
from fedgan.training._sampler import Batch, BatchSampler
from fedgan.training._state import ClientData, LocalState
from fedgan.training._stats import LocalStats, StatsAccumulator

__all__ = ["critic_step", "generator_step", "train_critic", "train_local"]


def _set_lr(optimizer: torch.optim.Optimizer, factor: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] * factor


def _batch_groups(state: LocalState, batch: Batch, *, num_groups: int, paired: bool) -> BatchGroups:
    """The batch's groups and labels, weighted by the client's current group weights."""
    return BatchGroups(
        groups=batch.groups,
        labels=batch.critic_labels,
        num_groups=num_groups,
        weights=state.reweighter.weights.to(batch.x.device),
        paired=paired,
    )


def critic_step(
    state: LocalState,
    batch: Batch,
    fake: Tensor,
    *,
    num_groups: int,
    paired: bool,
    penalty: PenaltyTerm | None,
    rng: torch.Generator,
) -> CriticObjective:
    """One critic update on ``batch`` against detached ``fake`` rows (updates ``state``).

    ``penalty`` is ``None`` on steps without the penalty (see :class:`PenaltySchedule`).
    """
    config = state.config
    rows = _batch_groups(state, batch, num_groups=num_groups, paired=paired)
    if state.private is not None:
        rw = rows.row_weights(None if penalty is None else penalty.lambdas, config.gp_balance)
        target = config.gp_target if penalty is None else penalty.target
        state.private.step(
            batch.x, fake, labels=batch.critic_labels, weights=rw, target=target, rng=rng
        )
        state.steps += 1
        # Diagnostics computed on private rows would leak them: not released under DP.
        nan = torch.full((num_groups,), float("nan"), dtype=torch.float64, device=batch.x.device)
        return CriticObjective(
            loss=torch.zeros((), dtype=torch.float64), wasserstein=nan, penalty=None
        )
    out = critic_objective(state.critic, batch.x, fake, rows, penalty=penalty, rng=rng)
    state.critic_optimizer.zero_grad(set_to_none=True)
    out.loss.backward()
    state.critic_optimizer.step()
    state.steps += 1
    state.reweighter.update(out.wasserstein)
    return out


def generator_step(
    generator: Generator,
    state: LocalState,
    batch: Batch,
    *,
    num_groups: int,
    paired: bool,
    rng: torch.Generator,
) -> Tensor:
    """One generator update against the client's critic; returns the loss (detached)."""
    assert state.generator_optimizer is not None, "bind_generator() first"
    z = torch.randn(len(batch), generator.noise_dim, device=batch.x.device, generator=rng)
    fake = generator(z, batch.labels, batch.sources)
    if state.generator_privacy is not None:  # GS-WGAN: sanitise what reaches G
        fake.register_hook(state.generator_privacy.hook())
    rows = _batch_groups(state, batch, num_groups=num_groups, paired=paired)
    loss = generator_objective(state.critic, fake, rows)
    state.generator_optimizer.zero_grad(set_to_none=True)
    loss.backward()
    state.generator_optimizer.step()
    state.generator_steps += 1
    return loss.detach()


def train_local(
    generator: Generator,
    state: LocalState,
    data: ClientData,
    *,
    seed: int,
    total_steps: int | None = None,
) -> LocalStats:
    """Run ``generator_steps`` generator updates, ``n_critic`` critic updates each.

    Parameters
    ----------
    generator : Generator
        Trained in place; ``state.bind_generator(generator)`` must have been called.
    state : LocalState
        The client's critic, optimisers and group weights; updated in place.
    data : ClientData
        The client's rows, on the models' device.
    seed : int
        Seeds batches, noise and interpolates: the same seed gives the same result.
    total_steps : int, optional
        Generator steps of the whole run, for the learning-rate schedule (the schedule
        position is ``state.generator_steps``); ``None`` keeps the rates constant.

    Returns
    -------
    LocalStats
    """
    config, device, g_count = state.config, data.x.device, data.num_groups
    rng = torch.Generator(device=device).manual_seed(int(seed))
    critics = _CriticUpdates(generator, state, data, rng)
    plain = BatchSampler(
        data, batch_size=config.batch_size, sampling=config.batch_sampling, rng=rng
    )
    generator.train()
    state.critic.train()
    for _ in range(config.generator_steps):
        if total_steps is not None:
            factor = config.lr_factor(state.generator_steps, total_steps)
            _set_lr(state.critic_optimizer, factor)
            assert state.generator_optimizer is not None, "bind_generator() first"
            _set_lr(state.generator_optimizer, factor)
        critics.run(config.n_critic)
        loss = generator_step(
            generator, state, plain.batch(), num_groups=g_count, paired=data.paired, rng=rng
        )
        critics.stats.generator(loss)
    return critics.stats.result(data.group_counts(), state.reweighter.state())


def train_critic(
    generator: Generator,
    state: LocalState,
    data: ClientData,
    *,
    seed: int,
    steps: int,
    lr_factor: float = 1.0,
) -> LocalStats:
    """Run ``steps`` critic updates against samples of a generator that stays fixed.

    The client's side of a federation whose generator is trained elsewhere (the
    ``shared-generator`` design): the critic learns to tell this client's rows from the
    generator's samples of its own sources, and the generator is not touched.

    Parameters
    ----------
    generator : Generator
        The current generator (only sampled).
    state : LocalState
        The client's critic, its optimiser and group weights; updated in place.
    data : ClientData
        The client's rows, on the models' device.
    seed : int
        Seeds batches, noise and interpolates.
    steps : int
        Critic updates.
    lr_factor : float
        The critic's learning rate as a share of ``lr_d`` (the run's schedule).

    Returns
    -------
    LocalStats
        ``loss_g`` is 0: no generator step was taken here.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    rng = torch.Generator(device=data.x.device).manual_seed(int(seed))
    _set_lr(state.critic_optimizer, lr_factor)
    critics = _CriticUpdates(generator, state, data, rng)
    generator.eval()
    state.critic.train()
    critics.run(steps)
    return critics.stats.result(data.group_counts(), state.reweighter.state())


class _CriticUpdates:
    """Critic steps on a client's rows against fresh samples of its own generator sources."""

    def __init__(
        self, generator: Generator, state: LocalState, data: ClientData, rng: torch.Generator
    ) -> None:
        config = state.config
        self.generator, self.state, self.data, self.rng = generator, state, data, rng
        self.sampler = BatchSampler(
            data,
            batch_size=config.batch_size,
            sampling=config.batch_sampling,
            rng=rng,
            poisson_rate=None if state.private is None else state.private.sample_rate,
        )
        self.schedule = config.penalty_schedule(private=state.private is not None)
        self.penalty = self.schedule.term(data.num_groups, data.x.device)
        self.stats = StatsAccumulator(data.num_groups, data.x.device, self.schedule.gain)

    def run(self, steps: int) -> None:
        state, data = self.state, self.data
        for _ in range(steps):
            batch = self.sampler.batch()
            with torch.no_grad():
                z = torch.randn(
                    len(batch), self.generator.noise_dim, device=data.x.device, generator=self.rng
                )
                fake = self.generator(z, batch.labels, batch.sources)
            out = critic_step(
                state,
                batch,
                fake,
                num_groups=data.num_groups,
                paired=data.paired,
                penalty=self.penalty if self.schedule.applies(state.steps) else None,
                rng=self.rng,
            )
            self.stats.critic(out)
