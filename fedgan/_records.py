"""numpy arrays ↔ Flower records: the Flower side of :mod:`fedgan.protocol`.

Only the Flower apps and ``strategies`` import this module (it imports Flower).
"""

from __future__ import annotations

import numpy as np
from flwr.app import Array, ArrayRecord

__all__ = ["from_record", "to_record"]


def to_record(arrays: dict[str, np.ndarray]) -> ArrayRecord:
    """Numpy arrays → Flower ``ArrayRecord`` (order kept)."""
    return ArrayRecord(array_dict={k: Array(np.ascontiguousarray(v)) for k, v in arrays.items()})


def from_record(record: ArrayRecord) -> dict[str, np.ndarray]:
    """Flower ``ArrayRecord`` → numpy arrays."""
    return {k: a.numpy() for k, a in record.items()}
