"""mode_coverage against hand-built sample sets."""

from __future__ import annotations

import numpy as np
import pytest

from fedgan.data import grid_means
from fedgan.metrics import mode_coverage

MEANS = grid_means()
SD = np.full(25, 0.05)
GROUPS = np.isin(np.arange(25), [0, 6, 12, 18, 24]).astype(int)


def test_all_samples_at_centres() -> None:
    x = np.repeat(MEANS, 100, axis=0)
    cov = mode_coverage(x, MEANS, SD, mode_groups=GROUPS)
    assert cov.modes_captured == 25 and cov.hq_fraction == 1.0
    assert cov.reverse_kl == pytest.approx(0.0, abs=1e-8)
    assert cov.per_group.loc[1, "modes_captured"] == 5
    assert cov.per_group.loc[1, "mass_ratio"] == pytest.approx(1.0)


def test_twenty_of_twenty_five_modes_lists_missing() -> None:
    present = [k for k in range(25) if not GROUPS[k]]
    x = np.repeat(MEANS[present], 10, axis=0)
    cov = mode_coverage(x, MEANS, SD, mode_groups=GROUPS)
    assert cov.modes_captured == 20
    assert cov.per_group.loc[1, "missing_modes"] == [0, 6, 12, 18, 24]
    assert (
        cov.per_group.loc[1, "modes_captured"] == 0 and cov.per_group.loc[1, "generated_share"] == 0
    )
    # KL(q‖p) with q uniform over 20 of 25 equal modes = log(25/20)
    assert cov.reverse_kl == pytest.approx(np.log(25 / 20), rel=1e-6)


def test_off_mode_noise_lowers_hq_as_expected() -> None:
    rng = np.random.default_rng(0)
    x = MEANS[rng.integers(0, 25, 20_000)] + rng.normal(0, 0.05, (20_000, 2))
    cov = mode_coverage(x, MEANS, SD)
    # ‖N(0, σ²I₂)‖/σ ≤ 3 has chi-square(2) probability 1 − exp(−4.5)
    assert cov.hq_fraction == pytest.approx(1 - np.exp(-4.5), abs=0.005)
    far = np.array([[1.0, 1.0]] * 100)  # midway between four modes
    cov2 = mode_coverage(np.concatenate([x[:900], far]), MEANS, SD)
    assert cov2.hq_fraction == pytest.approx(0.9 * (1 - np.exp(-4.5)), abs=0.02)


def test_no_hq_sample_gives_inf_kl() -> None:
    cov = mode_coverage(np.array([[1.0, 1.0]]), MEANS, SD)
    assert cov.modes_captured == 0 and np.isinf(cov.reverse_kl)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((np.zeros((0, 2)), MEANS, SD), "samples"),
        ((np.zeros((3, 3)), MEANS, SD), "means"),
        ((np.zeros((3, 2)), MEANS, SD[:3]), "stds"),
        ((np.full((3, 2), np.nan), MEANS, SD), "NaN"),
    ],
)
def test_bad_input(args: tuple, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        mode_coverage(*args)
