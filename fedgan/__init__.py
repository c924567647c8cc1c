"""fedgan: federated, fairness-aware GANs.

The core (this package minus ``client_app``/``server_app``) never imports
Flower: penalties, losses, models, data, training and metrics work in any
PyTorch loop. The gradient penalties are the entry point most people need::

    from fedgan import group_gradient_penalty
    gp = group_gradient_penalty(critic, real, fake, groups, balance="group")
    (critic_loss + gp.penalty).backward()

A finished run's generator draws new rows with :func:`load`::

    run = fedgan.load("outputs/latest")
    rows = run.sample(1000, group=1, seed=0)

and :func:`source_quality` judges each (client, group) source of a client-conditional
generator (``fedgan-sources RUN`` prints it by group).
"""

from typing import TYPE_CHECKING, Any

from fedgan.losses import GroupReweighter, GroupWeighting, critic_loss, generator_loss
from fedgan.penalties import (
    GroupPenalty,
    gradient_penalty,
    group_gradient_penalty,
    r1_penalty,
)

if TYPE_CHECKING:
    from fedgan._sources import source_quality
    from fedgan._trained import TrainedGenerator, load

__all__ = [
    "GroupPenalty",
    "GroupReweighter",
    "GroupWeighting",
    "TrainedGenerator",
    "critic_loss",
    "generator_loss",
    "gradient_penalty",
    "group_gradient_penalty",
    "load",
    "r1_penalty",
    "source_quality",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Loading a run needs the federation code; importing the penalties alone should not.
    if name in ("load", "TrainedGenerator"):
        from fedgan import _trained

        return getattr(_trained, name)
    if name == "source_quality":
        from fedgan import _sources

        return _sources.source_quality
    raise AttributeError(f"module 'fedgan' has no attribute {name!r}")
