"""The Scenario: one dataset with its modes, groups and conditioning labels."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["Conditioning", "Scenario", "labelled_scenario"]


class Conditioning(enum.StrEnum):
    """What the generator and critic condition on."""

    NONE = "none"
    GROUP = "group"
    MODE = "mode"


@dataclass(frozen=True, eq=False)
class Scenario:
    """A dataset where every row carries its mode, group and label.

    Attributes
    ----------
    name : str
        Registry name.
    x : np.ndarray
        ``[N, d]`` float32 rows (images flattened; see ``image_shape``).
    mode, group, label : np.ndarray
        ``[N]`` int64: mixture component / class, fairness group, and the
        label models condition on (equal to ``mode`` or ``group``, or 0).
    conditioning : Conditioning
        What ``label`` is.
    mode_groups : np.ndarray
        ``[M]`` group of each mode.
    mode_weights : np.ndarray
        ``[M]`` true mixture weights (sum to 1).
    num_groups : int
        Number of groups G.
    mode_means, mode_stds : np.ndarray or None
        ``[M, d]`` and ``[M]`` for synthetic mixtures; ``None`` for real data.
    image_shape : tuple of int or None
        ``(1, 8, 8)`` for digits: the shape conv models use.
    encoder : Any
        Inverse transform for tabular data (``encoder.decode(x)``), else ``None``.
    group_names : tuple of str
        Human-readable name of each group.
    group_attribute : str
        Column the groups are values of (tabular data), used in readable names.
    tstr : tuple of str, optional
        Tables: a binary target column and its positive value, for the
        train-on-synthetic-test-on-real fairness check.
    bounds : tuple of float, optional
        The data's range, when it has one the generator must keep to (digits: [−1, 1]).
    holdout_x, holdout_group : np.ndarray, optional
        Tables: real rows set aside before any client gets its share (encoded like ``x``),
        and their groups. Train-on-synthetic-test-on-real and the distance-to-closest-record
        check test on them; no model ever trains on them.
    standardise : bool
        Whether models should see the rows standardised (:meth:`standardisation`);
        true for raw coordinates, false for data already scaled (images in [−1, 1],
        encoded tables).
    """

    name: str
    x: np.ndarray
    mode: np.ndarray
    group: np.ndarray
    label: np.ndarray
    conditioning: Conditioning
    mode_groups: np.ndarray
    mode_weights: np.ndarray
    num_groups: int
    mode_means: np.ndarray | None = None
    mode_stds: np.ndarray | None = None
    image_shape: tuple[int, ...] | None = None
    encoder: Any = None
    group_names: tuple[str, ...] = ()
    standardise: bool = False
    group_attribute: str = ""
    tstr: tuple[str, str] | None = None
    bounds: tuple[float, float] | None = None
    holdout_x: np.ndarray | None = None
    holdout_group: np.ndarray | None = None

    @property
    def kind(self) -> Literal["mixture", "image", "tabular"]:
        """Mixture with known modes, images (digits) or encoded records (tables)."""
        if self.mode_means is not None and self.mode_stds is not None:
            return "mixture"
        return "image" if self.image_shape is not None else "tabular"

    @property
    def num_modes(self) -> int:
        """Number of modes M."""
        return int(self.mode_groups.shape[0])

    @property
    def num_labels(self) -> int:
        """Number of conditioning labels (0 when unconditional)."""
        if self.conditioning is Conditioning.NONE:
            return 0
        return self.num_groups if self.conditioning is Conditioning.GROUP else self.num_modes

    @property
    def data_dim(self) -> int:
        """Features per row."""
        return int(self.x.shape[1])

    @property
    def group_weights(self) -> np.ndarray:
        """``[G]`` true mass of each group."""
        return np.bincount(self.mode_groups, weights=self.mode_weights, minlength=self.num_groups)

    @property
    def label_weights(self) -> np.ndarray:
        """True distribution of the conditioning label (for sampling the generator)."""
        if self.conditioning is Conditioning.MODE:
            return self.mode_weights
        if self.conditioning is Conditioning.GROUP:
            return self.group_weights
        return np.ones(1)

    def standardisation(self) -> tuple[np.ndarray, float]:
        """Shift (per-feature mean) and one isotropic scale for the models' space.

        The scale is the root of the mean per-feature variance, so distances (and so
        the penalty's unit gradient norm) shrink alike in every direction. Identity
        (zeros, 1.0) when :attr:`standardise` is false.
        """
        if not self.standardise:
            return np.zeros(self.data_dim), 1.0
        shift, scale = self._moments
        return shift.copy(), scale

    @functools.cached_property
    def _moments(self) -> tuple[np.ndarray, float]:
        # Every client round of every client builds its models and rows with these: computed
        # once per scenario (over 100,000 rows it was a quarter of a 1,000-client run's time).
        x = self.x.astype(np.float64)
        scale = float(np.sqrt(x.var(axis=0).mean()))
        return x.mean(axis=0), scale if scale > 0 else 1.0

    def group_name(self, group: int) -> str:
        """Readable name of a group (``"group <g>"`` when the scenario names none)."""
        if 0 <= group < len(self.group_names):
            name = self.group_names[group]
            return f"{self.group_attribute}={name}" if self.group_attribute else name
        return f"group {group}"

    def columns(self) -> dict[str, np.ndarray]:
        """Row-level metadata columns (``mode``, ``group``, ``label``)."""
        return {"mode": self.mode, "group": self.group, "label": self.label}


def with_labels(
    x: np.ndarray, mode: np.ndarray, mode_groups: np.ndarray, conditioning: Conditioning
) -> tuple[np.ndarray, np.ndarray]:
    """Return the per-row group and conditioning label."""
    group = mode_groups[mode]
    if conditioning is Conditioning.MODE:
        label = mode
    elif conditioning is Conditioning.GROUP:
        label = group
    else:
        label = np.zeros_like(mode)
    return group.astype(np.int64), label.astype(np.int64)


def labelled_scenario(
    name: str,
    x: np.ndarray,
    mode: np.ndarray,
    mode_groups: np.ndarray,
    mode_weights: np.ndarray,
    conditioning: Conditioning,
    **extra: Any,
) -> Scenario:
    """A :class:`Scenario` whose group and label columns follow from each row's mode.

    ``extra`` holds the other fields (``num_groups`` defaults to the groups of the modes).
    """
    group, label = with_labels(x, mode, mode_groups, conditioning)
    extra.setdefault("num_groups", int(mode_groups.max()) + 1 if len(mode_groups) else 1)
    return Scenario(name, x, mode, group, label, conditioning, mode_groups, mode_weights, **extra)
