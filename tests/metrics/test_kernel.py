"""The kernel distance (KID's unbiased MMD²) against a pair-by-pair sum and closed forms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fedgan.metrics import frechet_distance, kernel_distance


def _by_pairs(a: np.ndarray, b: np.ndarray) -> float:
    """The estimator written out pair by pair, as the KID paper states it."""
    d = a.shape[1]

    def k(x: np.ndarray, y: np.ndarray) -> float:
        return float((x @ y / d + 1.0) ** 3)

    m, n = len(a), len(b)
    aa = sum(k(a[i], a[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    bb = sum(k(b[i], b[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    ab = sum(k(x, y) for x in a for y in b) / (m * n)
    return aa + bb - 2.0 * ab


def test_matches_the_pair_by_pair_estimator() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 3)), rng.normal(0.5, 2.0, size=(11, 3))
    assert kernel_distance(a, b) == pytest.approx(_by_pairs(a, b), rel=1e-10)
    assert kernel_distance(a, b) == pytest.approx(kernel_distance(b, a), rel=1e-12)


def test_expected_value_is_the_closed_form_in_one_dimension() -> None:
    # In 1-D, (xy + 1)³ = x³y³ + 3x²y² + 3xy + 1, so the population MMD² is
    # (E X³ − E Y³)² + 3 (E X² − E Y²)² + 3 (E X − E Y)²; the estimator is unbiased for it.
    rng = np.random.default_rng(1)
    mu, s = 0.3, 1.2
    m1, m2, m3 = mu, mu**2 + s**2, mu**3 + 3 * mu * s**2  # moments of N(mu, s²)
    expected = m3**2 + 3 * (m2 - 1.0) ** 2 + 3 * m1**2  # against N(0, 1): moments 0, 1, 0
    draws = [
        kernel_distance(rng.normal(mu, s, (40, 1)), rng.normal(0.0, 1.0, (25, 1)))
        for _ in range(3000)
    ]
    assert np.mean(draws) == pytest.approx(expected, rel=0.1)


def test_sets_from_one_distribution_score_zero_on_average_at_any_size() -> None:
    # The reason to report it beside the Fréchet distance: a small set is not penalised.
    rng = np.random.default_rng(2)
    small = [
        kernel_distance(rng.normal(size=(15, 4)), rng.normal(size=(300, 4))) for _ in range(800)
    ]
    se = np.std(small) / np.sqrt(len(small))
    assert abs(np.mean(small)) < 3 * se
    fd_small = np.mean(
        [frechet_distance(rng.normal(size=(15, 4)), rng.normal(size=(300, 4))) for _ in range(200)]
    )
    fd_large = np.mean(
        [frechet_distance(rng.normal(size=(300, 4)), rng.normal(size=(300, 4))) for _ in range(200)]
    )
    assert fd_small > 5 * fd_large  # the bias the kernel distance does not have


def test_a_shift_scores_above_zero_and_grows_with_it() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(400, 4))
    scores = [kernel_distance(base, rng.normal(size=(400, 4)) + t) for t in (0.0, 0.5, 1.0)]
    assert abs(scores[0]) < 0.01 < scores[1] < scores[2]


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        (np.zeros((5, 3)), np.zeros((5, 2)), "same d"),
        (np.zeros((1, 3)), np.zeros((5, 3)), "at least 2 rows"),
        (np.full((4, 3), np.nan), np.zeros((5, 3)), "finite"),
    ],
)
def test_bad_input_is_refused(a: np.ndarray, b: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        kernel_distance(a, b)
