"""Local WGAN-GP training, Flower-free: what one client (or a centralised run) does.

A client keeps a :class:`LocalState` for its whole life (critic, critic and generator
optimisers, group weights). Each call of :func:`train_local` runs ``generator_steps``
generator updates with ``n_critic`` critic updates each, through the one objective of
:mod:`fedgan.losses` (group-reweighted Wasserstein terms plus
:func:`~fedgan.group_gradient_penalty`), with the learning rates decayed linearly over
the run. Batches come from :class:`BatchSampler` (uniform, stratified by group, or
Poisson under differential privacy).

Which critic steps carry the penalty, and at what weight, is the penalty's schedule
(:class:`fedgan.losses.PenaltySchedule`, from ``TrainConfig.penalty_schedule``): lazy
regularisation (``gp_every = k > 1``: every k-th step at ``k·λ``, the critic's Adam lr and
betas to the power ``k/(k+1)``, as StyleGAN2 does for R1), a share of the batch, and what
differential privacy refuses.

When the generator is trained where it is not copied (the ``shared-generator``
federation), a client runs :func:`train_critic` only, and :class:`ServerGenerator` takes
the generator's steps against every client's critic at once.
"""

from fedgan.training._average import WeightAverage
from fedgan.training._config import BatchSampling, TrainConfig
from fedgan.training._loop import critic_step, generator_step, train_critic, train_local
from fedgan.training._sampler import Batch, BatchSampler
from fedgan.training._server_generator import CriticFeedback, ServerGenerator
from fedgan.training._state import ClientData, LocalState, resolve_device
from fedgan.training._stats import LocalStats
from fedgan.training._threads import available_cpus, use_cpus

__all__ = [
    "Batch",
    "BatchSampler",
    "BatchSampling",
    "ClientData",
    "CriticFeedback",
    "LocalState",
    "LocalStats",
    "ServerGenerator",
    "TrainConfig",
    "WeightAverage",
    "available_cpus",
    "critic_step",
    "generator_step",
    "resolve_device",
    "train_critic",
    "train_local",
    "use_cpus",
]
