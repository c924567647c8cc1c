"""Local WGAN-GP training: one client's generator steps against its own critic.

Flower-free. A client (or a centralised run) keeps a :class:`CriticState` for
its whole life; each call of :func:`train_local` starts from the generator
weights it is given and runs ``generator_steps`` generator updates with
``n_critic`` critic updates each, using the group-reweighted losses and
:func:`~fedgan.penalties.group_gradient_penalty`.

Lazy regularisation (``gp_every = k > 1``) applies the penalty on every k-th
critic step with weight ``k·λ`` and rescales Adam's lr and betas by
``k/(k+1)``, as StyleGAN2 does for R1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from fedgan._checks import group_lambdas
from fedgan._train_types import ClientData, CriticState, LocalStats, TrainConfig, resolve_device
from fedgan.losses import _group_means, combine_group_means
from fedgan.models import Generator
from fedgan.penalties import GroupPenalty, _group_penalty

__all__ = [
    "ClientData",
    "CriticState",
    "LocalStats",
    "TrainConfig",
    "critic_step",
    "resolve_device",
    "train_local",
]


@dataclass(frozen=True)
class CriticStepOutput:
    """What one critic step reports (tensors on the data's device, detached)."""

    loss: Tensor
    wasserstein: Tensor
    penalty: GroupPenalty | None


def critic_step(
    state: CriticState,
    real: Tensor,
    fake: Tensor,
    groups: Tensor,
    labels: Tensor | None,
    config: TrainConfig,
    *,
    num_groups: int,
    generator: torch.Generator | None = None,
) -> CriticStepOutput:
    """One critic update: reweighted Wasserstein loss plus the (lazy) group penalty.

    Parameters
    ----------
    state : CriticState
        The critic, its optimiser and group weights; updated in place.
    real, fake : Tensor
        ``[B, ...]`` batches; ``fake`` detached from the generator.
    groups : Tensor
        ``[B]`` group of each real row (fake rows share it when conditional).
    labels : Tensor or None
        ``[B]`` conditioning labels (paired: ``fake[i]`` was made with ``labels[i]``).
    config : TrainConfig
        λ, balance, lazy interval, sub-batch fraction, group weighting.
    num_groups : int
        G.
    generator : torch.Generator, optional
        Source of interpolation coefficients.

    Returns
    -------
    CriticStepOutput
        Loss, per-group Wasserstein estimates (NaN for absent groups) and the
        penalty's diagnostics when it ran this step.
    """
    critic, conditional = state.critic, labels is not None
    if state.private is not None:
        return _private_critic_step(
            state, real, fake, groups, labels, config, num_groups, generator
        )
    d_real, d_fake = critic(real, labels), critic(fake, labels)
    weights = state.reweighter.weights.to(device=real.device, dtype=d_real.dtype)
    real_m, present = _group_means(d_real.reshape(-1), groups, num_groups)
    fake_m = _group_means(d_fake.reshape(-1), groups, num_groups)[0] if conditional else None
    fake_term = d_fake.mean() if fake_m is None else combine_group_means(fake_m, present, weights)
    loss = fake_term - combine_group_means(real_m, present, weights)
    res = None
    if state.steps % config.gp_every == 0 and _penalised(config):
        m = max(1, math.ceil(config.gp_fraction * real.shape[0]))
        res = _group_penalty(
            critic, real[:m], fake[:m], groups[:m], None if labels is None else labels[:m],
            _lambda_tensor(config, num_groups, real), config.gp_target, config.gp_balance,
            num_groups, False, generator,
        )  # fmt: skip
        loss = loss + res.penalty
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    state.optimizer.step()
    state.steps += 1
    with torch.no_grad():
        gap = real_m - (d_fake.mean() if fake_m is None else fake_m)
        est = torch.where(present, gap.detach().double(), float("nan"))
    state.reweighter.update(est)
    return CriticStepOutput(loss=loss.detach().double(), wasserstein=est, penalty=res)


def _lambda_tensor(config: TrainConfig, num_groups: int, like: Tensor) -> Tensor:
    # Lazy regularisation: the penalty runs every k-th step with weight k·λ.
    # TrainConfig validated λ, and train_local its length.
    lam = torch.as_tensor(config.lambda_gp, device=like.device, dtype=like.dtype) * config.gp_every
    return lam.expand(num_groups) if lam.dim() == 0 else lam


def _private_critic_step(
    state: CriticState,
    real: Tensor,
    fake: Tensor,
    groups: Tensor,
    labels: Tensor | None,
    config: TrainConfig,
    num_groups: int,
    generator: torch.Generator | None,
) -> CriticStepOutput:
    # Exact per-sample gradients (penalty inside each row's loss) through opacus.
    # The penalty runs every step here: lazy scaling would break per-sample clipping.
    private = state.private
    assert private is not None
    lam = torch.as_tensor(config.lambda_gp, dtype=real.dtype, device=real.device).expand(num_groups)
    private.step(
        real,
        fake,
        groups,
        labels=labels,
        lambda_gp=lam,
        target=config.gp_target,
        generator=generator,
    )
    state.steps += 1
    nan = torch.full((num_groups,), float("nan"), dtype=torch.float64, device=real.device)
    if real.shape[0] == 0:
        return CriticStepOutput(
            loss=torch.zeros((), dtype=torch.float64), wasserstein=nan, penalty=None
        )
    with torch.no_grad():
        d_real, d_fake = (
            state.critic(real, labels).reshape(-1),
            state.critic(fake, labels).reshape(-1),
        )
        real_m, present = _group_means(d_real, groups, num_groups)
        fake_m = (
            _group_means(d_fake, groups, num_groups)[0] if labels is not None else d_fake.mean()
        )
        est = torch.where(present, (real_m - fake_m).double(), nan)
    state.reweighter.update(est)
    return CriticStepOutput(
        loss=(d_fake.mean() - d_real.mean()).double(), wasserstein=est, penalty=None
    )


def _penalised(config: TrainConfig) -> bool:
    lam = config.lambda_gp
    return any(v > 0 for v in lam) if isinstance(lam, tuple) else lam > 0


def train_local(
    generator: Generator,
    state: CriticState,
    data: ClientData,
    config: TrainConfig,
    *,
    generator_optimizer: torch.optim.Optimizer | None = None,
    seed: int | None = None,
) -> LocalStats:
    """Train ``generator`` in place against the client's critic.

    Parameters
    ----------
    generator : Generator
        Starts from the weights it holds (the server's); updated in place.
    state : CriticState
        The client's critic, its optimiser and group weights; updated in place.
    data : ClientData
        The client's rows, already on the models' device.
    config : TrainConfig
        Hyper-parameters.
    generator_optimizer : torch.optim.Optimizer, optional
        Reused across calls when given (centralised training); a fresh Adam otherwise.
    seed : int, optional
        Seeds batch sampling and noise for reproducibility.

    Returns
    -------
    LocalStats
        Per-group row counts, Wasserstein estimates, gradient norms on
        interpolates, penalty values, group weights and mean losses.
    """
    device = data.x.device
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed) if seed is not None else int(torch.randint(2**31, (1,))))
    critic = state.critic
    group_lambdas(config.lambda_gp, data.num_groups, device=torch.device("cpu"))  # length check
    opt_g = generator_optimizer or torch.optim.Adam(
        generator.parameters(), lr=config.lr_g, betas=config.betas
    )
    n, g_count, b = data.x.shape[0], data.num_groups, config.batch_size
    conditional = data.labels is not None
    zeros = torch.zeros(g_count, device=device, dtype=torch.float64)
    w_sum, w_n, gn_sum, gp_sum, gp_n = (
        zeros.clone(),
        zeros.clone(),
        zeros.clone(),
        zeros.clone(),
        zeros.clone(),
    )
    loss_d_sum = torch.zeros((), device=device, dtype=torch.float64)
    loss_g_sum = torch.zeros((), device=device, dtype=torch.float64)

    def batch() -> tuple[Tensor, Tensor, Tensor | None]:
        if state.private is not None:  # Poisson sampling, as the accountant assumes
            mask = torch.rand(n, device=device, generator=gen) < state.private.sample_rate
            idx = mask.nonzero().squeeze(1)
        else:
            idx = torch.randint(n, (b,), device=device, generator=gen)
        return data.x[idx], data.groups[idx], None if data.labels is None else data.labels[idx]

    def noise(rows: int = b) -> Tensor:
        return torch.randn(rows, generator.latent_dim, device=device, generator=gen)

    generator.train()
    critic.train()
    for _ in range(config.generator_steps):
        for _ in range(config.n_critic):
            real, grp, lab = batch()
            with torch.no_grad():
                fake = generator(noise(real.shape[0]), lab)
            out = critic_step(
                state, real, fake, grp, lab, config, num_groups=g_count, generator=gen
            )
            loss_d_sum += out.loss
            w_sum += torch.nan_to_num(out.wasserstein)
            w_n += torch.isfinite(out.wasserstein).double()
            if out.penalty is not None:
                seen = out.penalty.count > 0
                gn_sum += torch.where(seen, out.penalty.grad_norm.double(), 0.0)
                gp_sum += torch.where(seen, out.penalty.per_group.double() / config.gp_every, 0.0)
                gp_n += seen.double()

        idx = torch.randint(n, (b,), device=device, generator=gen)
        grp, lab = data.groups[idx], None if data.labels is None else data.labels[idx]
        fake = generator(noise(), lab)
        if state.generator_privacy is not None:  # GS-WGAN: sanitise what reaches G
            fake.register_hook(state.generator_privacy.hook())
        d_gen = critic(fake, lab)
        weights = state.reweighter.weights.to(device)
        if conditional:
            gen_m, gen_present = _group_means(d_gen.reshape(-1), grp, g_count)
            loss_g = -combine_group_means(gen_m, gen_present, weights.to(gen_m.dtype))
        else:
            loss_g = -d_gen.mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        loss_g_sum += loss_g.detach().double()

    def per_group(total: Tensor, count: Tensor) -> np.ndarray:
        out = (total / count.clamp(min=1)).cpu().numpy()
        out[count.cpu().numpy() == 0] = np.nan
        return out

    d_steps = config.generator_steps * config.n_critic
    return LocalStats(
        count=data.group_counts(),
        wasserstein=per_group(w_sum, w_n),
        grad_norm=per_group(gn_sum, gp_n),
        gp=per_group(gp_sum, gp_n),
        group_weight=state.reweighter.weights.numpy().astype(np.float64),
        loss_d=float(loss_d_sum) / d_steps,
        loss_g=float(loss_g_sum) / config.generator_steps,
    )
