"""prdc: identical sets, disjoint sets, a missing group, against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from fedgan.metrics import prdc, precise_rows


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


@pytest.mark.parametrize("block_rows", [None, 1, 7, 64])
def test_every_figure_matches_brute_force_whatever_the_blocks(block_rows: int | None) -> None:
    rng = np.random.default_rng(5)
    real = np.concatenate([rng.normal(size=(70, 4)), rng.normal(size=(20, 4)) + 3])
    groups = np.array([0] * 70 + [1] * 20)
    fake = rng.normal(size=(80, 4)) * 1.3
    r = prdc(real, fake, real_groups=groups, block_rows=block_rows)
    d_rr = np.linalg.norm(real[:, None] - real[None], axis=2)  # no shared code with prdc
    d_ff = np.linalg.norm(fake[:, None] - fake[None], axis=2)
    d_rf = np.linalg.norm(real[:, None] - fake[None], axis=2)
    rad_r3, rad_r5 = np.sort(d_rr, axis=1)[:, 3], np.sort(d_rr, axis=1)[:, 5]
    rad_f3 = np.sort(d_ff, axis=1)[:, 3]
    precise = (d_rf <= rad_r3[:, None]).any(axis=0)
    recalled = (d_rf <= rad_f3[None, :]).any(axis=1)
    covered = d_rf.min(axis=1) < rad_r5
    assert r.precision == pytest.approx(precise.mean())
    assert r.recall == pytest.approx(recalled.mean())
    assert r.density == pytest.approx((d_rf < rad_r5[:, None]).sum() / (5 * 80))
    assert np.array_equal(r.real_covered, covered)
    nearest_group = groups[d_rf.argmin(axis=0)]
    for g in (0, 1):
        mine, fk = groups == g, nearest_group == g
        row = r.per_group.loc[g]
        assert row["fake_count"] == fk.sum() and row["count"] == mine.sum()
        assert row["coverage"] == pytest.approx(covered[mine].mean())
        assert row["recall"] == pytest.approx(recalled[mine].mean())
        assert row["precision"] == pytest.approx(precise[fk].mean())


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="real and fake"):
        prdc(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="k_dc"):
        prdc(np.zeros((4, 2)), np.zeros((4, 2)), k_dc=5)


def test_precise_rows_average_to_prdcs_precision() -> None:
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(300, 4)), rng.normal(0.5, 1.2, size=(200, 4))
    rows = precise_rows(real, fake, k=3, block_rows=17)  # blocks must not change the answer
    assert rows.shape == (200,) and 0 < rows.mean() < 1
    assert rows.mean() == pytest.approx(prdc(real, fake, k_pr=3).precision)
