"""Synthetic 2-D Gaussian mixtures with the geometry of the coverage literature."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fedgan.data._scenario import Conditioning, Scenario, labelled_scenario

__all__ = ["grid_means", "mixture_scenario", "ring_means"]


def ring_means(num_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """``[M, 2]`` means equally spaced on a circle (VEEGAN, PacGAN)."""
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_means(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    """``[side², 2]`` means on the grid {−4, −2, 0, 2, 4}² for side 5, spacing 2."""
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    gx, gy = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def mixture_scenario(
    name: str,
    means: np.ndarray,
    *,
    sd: float,
    minority_modes: Sequence[int] = (),
    minority_share: float | None = None,
    num_samples: int = 20_000,
    conditioning: Conditioning = Conditioning.NONE,
    seed: int = 0,
    minority_name: str = "",
) -> Scenario:
    """Sample a mixture whose ``minority_modes`` form group 1 (the rest group 0).

    Parameters
    ----------
    name : str
        Scenario name.
    means : np.ndarray
        ``[M, d]`` mode centres.
    sd : float
        Isotropic standard deviation of every mode.
    minority_modes : sequence of int
        Modes of the minority group (group 1). Empty: one group.
    minority_share : float, optional
        Total mass of the minority group in (0, 1); modes within a group share
        its mass equally. ``None``: all modes equally likely.
    num_samples : int
        Rows to draw.
    conditioning : Conditioning
        What models condition on.
    seed : int
        Sampling seed.
    minority_name : str
        Readable name of the minority group (default: its modes).

    Returns
    -------
    Scenario
    """
    m = means.shape[0]
    minority = sorted({int(k) for k in minority_modes})
    if any(not 0 <= k < m for k in minority):
        raise ValueError(f"minority_modes must lie in [0, {m}), got {list(minority_modes)}")
    if len(minority) == m:
        raise ValueError("minority_modes covers every mode: group 0 would have no modes")
    if num_samples < m:
        raise ValueError(
            f"num_samples must be at least the number of modes ({m}), got {num_samples}"
        )
    mode_groups = np.zeros(m, dtype=np.int64)
    mode_groups[minority] = 1
    weights = np.full(m, 1.0 / m)
    if minority and minority_share is not None:
        if not 0 < minority_share < 1:
            raise ValueError(f"minority_share must be in (0, 1), got {minority_share}")
        weights = np.where(
            mode_groups == 1,
            minority_share / len(minority),
            (1 - minority_share) / (m - len(minority)),
        )
    rng = np.random.default_rng(seed)
    mode = rng.choice(m, size=num_samples, p=weights).astype(np.int64)
    x = (means[mode] + sd * rng.standard_normal((num_samples, means.shape[1]))).astype(np.float32)
    num_groups = 2 if minority else 1
    names = ("majority", minority_name or f"minority (modes {', '.join(map(str, minority))})")
    extra = {
        "num_groups": num_groups,
        "group_names": names[:num_groups],
        "mode_means": means.astype(np.float64),
        "mode_stds": np.full(m, sd),
        "standardise": True,
    }
    return labelled_scenario(name, x, mode, mode_groups, weights, conditioning, **extra)
