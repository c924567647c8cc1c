"""fedgan: federated, fairness-aware GANs.

The core (this package minus ``client_app``/``server_app``) never imports
Flower: penalties, losses, models, data, training and metrics work in any
PyTorch loop. The gradient penalties are the entry point most people need::

    from fedgan import group_gradient_penalty
    gp = group_gradient_penalty(critic, real, fake, groups, balance="group")
    (critic_loss + gp.penalty).backward()
"""

from fedgan.losses import GroupReweighter, GroupWeighting, critic_loss, generator_loss
from fedgan.penalties import (
    GroupPenalty,
    gradient_penalty,
    group_gradient_penalty,
    r1_penalty,
)

__all__ = [
    "GroupPenalty",
    "GroupReweighter",
    "GroupWeighting",
    "critic_loss",
    "generator_loss",
    "gradient_penalty",
    "group_gradient_penalty",
    "r1_penalty",
]
__version__ = "0.1.0"
