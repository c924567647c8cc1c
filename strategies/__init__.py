"""Flower server strategies for fedgan.

The maths is a pure function, :func:`client_weights`, importable without
running Flower; :class:`MinorityWeightedFedAvg` uses it inside a Message-API
``FedAvg``. Importing :class:`MinorityWeightedFedAvg` imports Flower.
"""

from typing import TYPE_CHECKING, Any

from strategies._weights import WeightScheme, client_weights

if TYPE_CHECKING:
    from strategies._minority_fedavg import MinorityWeightedFedAvg

__all__ = ["MinorityWeightedFedAvg", "WeightScheme", "client_weights"]


def __getattr__(name: str) -> Any:
    if name == "MinorityWeightedFedAvg":
        from strategies._minority_fedavg import MinorityWeightedFedAvg

        return MinorityWeightedFedAvg
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
