"""Each generated row judged alone agrees with the run-level scorers' counts."""

from __future__ import annotations

import numpy as np
import pytest

from fedgan.data import load_scenario
from fedgan.evaluation import PER_SAMPLE_COLUMNS, reference_rows, sample_quality
from fedgan.metrics import digits_classifier, mode_coverage

RING = load_scenario("ring8-minority")


def test_mixture_rows_agree_with_mode_coverage() -> None:
    # an independent reference: the run-level coverage counts the same HQ rows per mode
    rng = np.random.default_rng(0)
    means = RING.mode_means[rng.integers(0, RING.num_modes, 3000)]
    x = means + rng.normal(0, 0.06, means.shape)  # 3 sds of 0.02: about half are HQ
    q = sample_quality(RING, x)
    cov = mode_coverage(x, RING.mode_means, RING.mode_stds)
    assert list(q.columns) == list(PER_SAMPLE_COLUMNS)
    assert q["hq"].mean() == pytest.approx(cov.hq_fraction)
    assert 0.2 < q["hq"].mean() < 0.9
    counts = np.bincount(q.loc[q["hq"], "mode"], minlength=RING.num_modes)
    assert np.array_equal(counts, cov.per_mode)
    assert (q["hq"] == (q["nearest_sd"] <= 3.0)).all()
    assert q["top_probability"].isna().all()


def test_mixture_rows_on_the_centres_are_hq_with_their_mode() -> None:
    q = sample_quality(RING, RING.mode_means)
    assert q["hq"].all() and (q["mode"].to_numpy() == np.arange(RING.num_modes)).all()
    assert np.allclose(q["nearest_sd"], 0.0)
    far = sample_quality(RING, RING.mode_means * 10)
    assert not far["hq"].any()


def test_real_digits_are_hq_as_often_as_the_classifier_says_and_noise_is_not() -> None:
    digits = load_scenario("digits-minority")
    x = digits.x.reshape(len(digits.x), -1)[:600]
    q = sample_quality(digits, x)
    clf = digits_classifier(0)
    assert (q["hq"].to_numpy() == clf.high_quality(x)).all()
    assert (q["mode"].to_numpy() == clf.predict(x)).all()
    assert (
        q["hq"].mean() > 0.9
        and (q.loc[q["hq"], "mode"] == digits.mode[:600][q["hq"]]).mean() > 0.95
    )
    noise = sample_quality(digits, np.random.default_rng(0).uniform(-1, 1, (600, 64)))
    assert noise["hq"].mean() < 0.03
    assert q["nearest_sd"].isna().all()


def test_table_reference_rows_are_inside_the_real_manifold_and_far_rows_are_not() -> None:
    arrests = load_scenario("arrests-colour")
    ref = arrests.x[reference_rows(arrests, 0)].astype(np.float64)
    q = sample_quality(arrests, ref[:200], seed=0)
    assert q["hq"].all() and (q["mode"] == -1).all()
    far = sample_quality(arrests, ref[:50] + 50.0, seed=0)
    assert not far["hq"].any()


def test_rows_of_the_wrong_width_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\[N, 2\]"):
        sample_quality(RING, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="finite"):
        sample_quality(RING, np.full((5, 2), np.nan))
