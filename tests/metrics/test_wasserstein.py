"""wasserstein_1d: the worked values and an independent reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from fedgan.metrics import wasserstein_1d


def test_worked_values() -> None:
    assert wasserstein_1d([0, 2], [1, 3]) == pytest.approx(1.0)
    assert wasserstein_1d([0], [3]) == pytest.approx(3.0)


def test_matches_scipy_with_weights() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.normal(size=9), rng.normal(size=13) + 0.5
        wa, wb = rng.random(9), rng.random(13)
        assert wasserstein_1d(a, b, wa, wb) == pytest.approx(
            wasserstein_distance(a, b, wa, wb), rel=1e-10
        )


def test_per_feature_and_properties() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3))
    d = wasserstein_1d(x, x + np.array([0.0, 1.0, -2.0]))
    assert d == pytest.approx([0.0, 1.0, 2.0])
    assert wasserstein_1d(x[:, 0], x[:, 1]) == pytest.approx(wasserstein_1d(x[:, 1], x[:, 0]))


@pytest.mark.parametrize(
    ("args", "name"),
    [(([], [1.0]), "u"), (([1.0], [np.nan]), "v"), (([1.0, 2.0], [1.0], [1.0]), "u_weights")],
)
def test_bad_input(args: tuple, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        wasserstein_1d(*args)
