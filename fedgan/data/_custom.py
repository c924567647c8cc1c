"""Your own dataset and partitioner, named by an import path (``"package.module:NAME"``).

A run config's ``scenario`` may be ``"my_package.my_data:SCENARIO"``, where ``SCENARIO``
is a :class:`CustomScenario`. Every process of the run (the Flower ServerApp and every
ClientApp) imports it the same way Flower finds ``fedgan.server_app:app``, so the module
must be importable there: inside the app folder, or installed.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fedgan._checks import FieldError
from fedgan.data._scenario import Scenario

__all__ = ["CustomScenario", "custom_scenario"]


@dataclass(frozen=True)
class CustomScenario:
    """A dataset of your own, optionally with your own federated split.

    Attributes
    ----------
    load : callable
        ``load(seed) -> Scenario`` (e.g. :func:`fedgan.data.table_scenario` on a CSV).
    partitioner : callable, optional
        ``partitioner(num_partitions, seed)`` returning a flwr-datasets ``Partitioner``;
        its ``partition_by`` may name ``mode``, ``group`` or ``label``. Without it the
        spec's own ``partitioner`` (Dirichlet by mode by default) splits the rows.
    num_partitions : int
        Default number of clients.
    """

    load: Callable[[int], Scenario]
    partitioner: Callable[[int, int], Any] | None = None
    num_partitions: int = 5


@functools.lru_cache(maxsize=16)
def custom_scenario(source: str) -> CustomScenario:
    """The :class:`CustomScenario` at ``"package.module:NAME"``.

    Raises
    ------
    FieldError
        Naming ``scenario`` if the path does not import or is not a ``CustomScenario``.
    """
    module, sep, attr = source.partition(":")
    if not sep or not module or not attr:
        raise FieldError(
            "scenario", f"must be a scenario name or 'package.module:NAME', got {source!r}"
        )
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise FieldError("scenario", f"{source!r} cannot be imported: {err}") from None
    if not isinstance(obj, CustomScenario):
        raise FieldError(
            "scenario", f"{source!r} is a {type(obj).__name__}, not a fedgan.data.CustomScenario"
        )
    return obj
