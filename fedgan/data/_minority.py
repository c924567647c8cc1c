"""MinorityConcentratedPartitioner: all minority rows on a few chosen clients."""

from __future__ import annotations

from collections.abc import Sequence

import datasets
import numpy as np
from flwr_datasets.partitioner import Partitioner

__all__ = ["MinorityConcentratedPartitioner"]

_MAX_TRIES = 50


class MinorityConcentratedPartitioner(Partitioner):
    """Put every row of the minority groups on chosen clients; Dirichlet for the rest.

    Minority rows are dealt uniformly at random to the ``minority_partitions``
    and to no other client. Every other row is split over *all* clients with
    Dirichlet(α) proportions drawn per value of ``dirichlet_by`` (per group by
    default), so α controls how skewed the majority data is.

    Parameters
    ----------
    num_partitions : int
        Number of clients.
    partition_by : str
        Column holding the group id.
    minority_groups : sequence of int
        Group ids that form the minority.
    minority_partitions : int or sequence of int
        How many clients hold the minority (the first ones, ids ``0..k-1``) or
        exactly which client ids.
    alpha : float
        Dirichlet concentration (> 0) for the remaining rows.
    dirichlet_by : str, optional
        Column whose values get their own Dirichlet draw (default ``partition_by``).
    min_partition_size : int
        Every client gets at least this many rows; redrawn up to 50 times, then
        a ``ValueError``.
    seed : int
        Makes the split deterministic.
    """

    def __init__(
        self,
        *,
        num_partitions: int,
        partition_by: str,
        minority_groups: Sequence[int],
        minority_partitions: int | Sequence[int],
        alpha: float,
        dirichlet_by: str | None = None,
        min_partition_size: int = 1,
        seed: int = 42,
    ) -> None:
        super().__init__()
        for name, value in (
            ("minority_partitions", minority_partitions),
            ("minority_groups", minority_groups),
        ):
            if isinstance(value, str | bytes):
                raise TypeError(
                    f"{name} must be an integer or a sequence of integers, got the text {value!r}"
                )
        if not isinstance(alpha, int | float) or isinstance(alpha, bool):
            raise TypeError(f"alpha must be a number, got {alpha!r}")
        if (
            isinstance(num_partitions, bool)
            or not isinstance(num_partitions, int)
            or num_partitions < 1
        ):
            raise ValueError(f"num_partitions must be a positive integer, got {num_partitions!r}")
        if isinstance(minority_partitions, int):
            if not 1 <= minority_partitions <= num_partitions:
                raise ValueError(
                    f"minority_partitions must be between 1 and num_partitions ({num_partitions}), "
                    f"got {minority_partitions}"
                )
            ids = list(range(minority_partitions))
        else:
            ids = sorted({int(i) for i in minority_partitions})
            if not ids or any(not 0 <= i < num_partitions for i in ids):
                raise ValueError(
                    f"minority_partitions ids must be non-empty and in [0, {num_partitions}), "
                    f"got {list(minority_partitions)}"
                )
        if not minority_groups:
            raise ValueError("minority_groups must name at least one group id")
        if not 0 < alpha < float("inf"):
            raise ValueError(f"alpha must be a finite number > 0, got {alpha!r}")
        if min_partition_size < 0:
            raise ValueError(f"min_partition_size must be >= 0, got {min_partition_size}")
        self._num_partitions = num_partitions
        self._partition_by = partition_by
        self._dirichlet_by = dirichlet_by or partition_by
        self._minority_groups = tuple(int(g) for g in minority_groups)
        self._minority_ids = tuple(ids)
        self._alpha = float(alpha)
        self._min_size = int(min_partition_size)
        self._seed = seed
        self._indices: list[np.ndarray] | None = None

    @property
    def num_partitions(self) -> int:
        """Number of clients."""
        return self._num_partitions

    @property
    def minority_partition_ids(self) -> tuple[int, ...]:
        """Client ids that hold the minority rows."""
        return self._minority_ids

    def partition_indices(self) -> list[np.ndarray]:
        """Row indices of every partition (computed once, then cached)."""
        if self._indices is None:
            self._indices = self._split()
        return self._indices

    def load_partition(self, partition_id: int) -> datasets.Dataset:
        """Rows of client ``partition_id``."""
        if not 0 <= partition_id < self._num_partitions:
            raise ValueError(
                f"partition_id must be in [0, {self._num_partitions}), got {partition_id}"
            )
        return self.dataset.select(self.partition_indices()[partition_id])

    def _split(self) -> list[np.ndarray]:
        groups = np.asarray(self.dataset[self._partition_by], dtype=np.int64)
        by = np.asarray(self.dataset[self._dirichlet_by])
        is_min = np.isin(groups, self._minority_groups)
        if not is_min.any():
            raise ValueError(
                f"no row of {self._partition_by!r} has a minority group {list(self._minority_groups)}"
            )
        rng = np.random.default_rng(self._seed)
        k = self._num_partitions
        for _ in range(_MAX_TRIES):
            owner = np.empty(len(groups), dtype=np.int64)
            min_rows = np.flatnonzero(is_min)
            owner[min_rows] = rng.choice(self._minority_ids, size=len(min_rows))
            for value in np.unique(by[~is_min]):
                rows = rng.permutation(np.flatnonzero(~is_min & (by == value)))
                cuts = (np.cumsum(rng.dirichlet(np.full(k, self._alpha))) * len(rows)).astype(int)[
                    :-1
                ]
                for cid, chunk in enumerate(np.split(rows, cuts)):
                    owner[chunk] = cid
            sizes = np.bincount(owner, minlength=k)
            if sizes.min() >= self._min_size:
                return [np.sort(np.flatnonzero(owner == c)) for c in range(k)]
        raise ValueError(
            f"min_partition_size={self._min_size} could not be met for {k} partitions of "
            f"{len(groups)} rows with alpha={self._alpha} after {_MAX_TRIES} draws; "
            "lower it, raise alpha or use fewer partitions"
        )
