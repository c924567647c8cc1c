"""prdc: identical sets, disjoint sets, a missing group, against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from fedgan.metrics import prdc


def test_identical_distributions_score_high() -> None:
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(800, 2)), rng.normal(size=(800, 2))
    r = prdc(real, fake)
    assert r.precision > 0.8 and r.recall > 0.8 and r.coverage > 0.9
    assert r.density == pytest.approx(1.0, abs=0.15)


def test_disjoint_sets_score_zero() -> None:
    rng = np.random.default_rng(1)
    r = prdc(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + 100)
    assert r.precision == r.recall == r.density == r.coverage == 0.0


def test_missing_group_has_zero_coverage() -> None:
    rng = np.random.default_rng(2)
    real = np.concatenate([rng.normal(size=(300, 2)), rng.normal(size=(30, 2)) + 20])
    groups = np.array([0] * 300 + [1] * 30)
    fake = rng.normal(size=(300, 2))  # nothing near group 1
    r = prdc(real, fake, real_groups=groups)
    assert r.per_group.loc[1, "coverage"] == 0.0 and r.per_group.loc[1, "fake_count"] == 0
    # with no generated row nearest to the group, recall and precision say nothing: NaN
    assert np.isnan(r.per_group.loc[1, "recall"]) and np.isnan(r.per_group.loc[1, "precision"])


def test_a_group_of_k_rows_gets_no_coverage_figure() -> None:
    # 3 far-away rows: their 5-NN balls reach the majority, so a generator with no
    # sample near them would otherwise "cover" them all.
    rng = np.random.default_rng(4)
    real = np.concatenate([rng.normal(size=(300, 2)), rng.normal(size=(3, 2)) * 0.1 + 6])
    groups = np.array([0] * 300 + [1] * 3)
    fake = rng.normal(size=(300, 2))
    unguarded = prdc(real, fake).real_covered[300:]
    assert unguarded.all()  # the flattering figure the guard refuses
    r = prdc(real, fake, real_groups=groups)
    assert np.isnan(r.per_group.loc[1, "coverage"]) and r.per_group.loc[1, "count"] == 3
    assert r.per_group.loc[0, "coverage"] > 0.8


def test_scattered_fakes_do_not_earn_minority_recall() -> None:
    # One far-away fake row gives a huge k-NN radius; recall judged with it would be 1.0.
    rng = np.random.default_rng(3)
    real = np.concatenate([rng.normal(size=(300, 2)), rng.normal(size=(30, 2)) * 0.1 + 5])
    groups = np.array([0] * 300 + [1] * 30)
    fake = np.concatenate([rng.normal(size=(299, 2)), [[-40.0, -40.0]]])
    r = prdc(real, fake, real_groups=groups)
    assert r.per_group.loc[1, "coverage"] == 0.0
    assert r.per_group.loc[1, "fake_count"] == 0 and np.isnan(r.per_group.loc[1, "recall"])
    assert r.per_group.loc[0, "coverage"] > 0.8
    assert r.real_covered.shape == (330,) and not r.real_covered[300:].any()


def test_coverage_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(60, 3)), rng.normal(size=(50, 3)) * 1.5
    r = prdc(real, fake, k_dc=5)
    d_rr = np.linalg.norm(real[:, None] - real[None], axis=2)
    radius = np.sort(d_rr, axis=1)[:, 5]
    d_rf = np.linalg.norm(real[:, None] - fake[None], axis=2)
    assert r.coverage == pytest.approx(float((d_rf.min(1) < radius).mean()))
    assert r.density == pytest.approx(float((d_rf < radius[:, None]).sum() / (5 * 50)))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="real and fake"):
        prdc(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="k_dc"):
        prdc(np.zeros((4, 2)), np.zeros((4, 2)), k_dc=5)
