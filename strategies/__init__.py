"""Flower server strategies for fedgan.

:class:`FederatedGAN` drives a fedgan run through Flower's Message API: handshake,
seeded client sampling, replies checked and merged by the design's rules with
minority-aware client weights. The weights themselves are the pure function
:func:`client_weights` (re-exported from :mod:`fedgan.federation`, importable without
Flower). Importing :class:`FederatedGAN` imports Flower.
"""

from typing import TYPE_CHECKING, Any

from fedgan.federation import client_weights

if TYPE_CHECKING:
    from strategies._federated_gan import FederatedGAN

__all__ = ["FederatedGAN", "client_weights"]

# fedgan.server_app checks this: a different top-level package named "strategies"
# installed in the same environment would otherwise shadow this one silently.
FEDGAN_STRATEGIES = True


def __getattr__(name: str) -> Any:
    if name == "FederatedGAN":
        from strategies._federated_gan import FederatedGAN

        return FederatedGAN
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
