"""Differential privacy for the critic, with an exact per-sample gradient penalty.

Opacus's hooks cannot see through the penalty's inner ``autograd.grad``; fedgan
computes every row's gradient of its whole critic loss (Wasserstein term plus
that row's penalty) with ``torch.func`` (:func:`per_sample_critic_grads`) and
hands them to opacus's ``DPOptimizer`` as ``grad_sample``, so clipping, noise and
RDP accounting are opacus's own (:func:`make_private_critic`).
"""

from fedgan.privacy._generator import GeneratorGradientPrivacy
from fedgan.privacy._per_sample import PerSampleOptions, per_sample_critic_grads
from fedgan.privacy._private import PrivateCritic, make_private_critic, rdp_epsilon
from fedgan.privacy._settings import PrivacySettings

__all__ = [
    "GeneratorGradientPrivacy",
    "PerSampleOptions",
    "PrivacySettings",
    "PrivateCritic",
    "make_private_critic",
    "per_sample_critic_grads",
    "rdp_epsilon",
]
