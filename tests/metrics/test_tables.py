"""Tables: SDMetrics' quality report by group, distance to the closest record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fedgan.metrics import distance_to_closest_record, table_quality

pytest.importorskip("sdmetrics")

NUMERIC = ("year", "age", "checks")
CATEGORICAL = ("released", "colour", "sex", "employed", "citizen")


def _arrests() -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True).sample(frac=1.0, random_state=0)
    return df.iloc[:3500], df.iloc[3500:]


def test_real_records_score_near_one_and_broken_pairs_score_lower() -> None:
    train, test = _arrests()
    real = table_quality(train, test, numeric=NUMERIC, categorical=CATEGORICAL, by="colour")
    assert real["group"].tolist() == ["overall", "White", "Black"]
    assert (real["score"] > 0.9).all()
    # each column shuffled on its own: the same marginals, no relationships between columns
    rng = np.random.default_rng(0)
    broken = test.apply(lambda c: rng.permutation(c.to_numpy()))
    b = table_quality(train, broken, numeric=NUMERIC, categorical=CATEGORICAL).iloc[0]
    r = real.iloc[0]
    assert b["column_shapes"] == pytest.approx(r["column_shapes"], abs=0.02)
    assert b["column_pair_trends"] < r["column_pair_trends"] - 0.03
    assert b["score"] == pytest.approx((b["column_shapes"] + b["column_pair_trends"]) / 2)


def test_a_group_the_synthetic_records_never_take_is_nan() -> None:
    train, test = _arrests()
    white = test[test["colour"] == "White"]
    t = table_quality(train, white, numeric=NUMERIC, categorical=CATEGORICAL, by="colour")
    t = t.set_index("group")
    assert np.isnan(t.loc["Black", "score"]) and t.loc["Black", "synthetic_rows"] == 0
    assert np.isfinite(t.loc["White", "score"])


def test_bad_columns_are_named() -> None:
    train, test = _arrests()
    with pytest.raises(ValueError, match=r"synthetic records lack the column\(s\) \['age'\]"):
        table_quality(train, test.drop(columns="age"), numeric=NUMERIC, categorical=CATEGORICAL)
    with pytest.raises(ValueError, match="by='age' must be one of the categorical"):
        table_quality(train, test, numeric=NUMERIC, categorical=CATEGORICAL, by="age")


def test_copies_have_ratio_zero_and_fresh_draws_ratio_one() -> None:
    rng = np.random.default_rng(0)
    train, fresh, holdout = (rng.normal(size=(n, 4)) for n in (3000, 1000, 1000))
    copies = train[rng.integers(0, len(train), 800)]
    c = distance_to_closest_record(train, copies, holdout)
    assert c.ratio < 1e-6 and c.synthetic_copies == 1 and c.holdout_copies == 0
    f = distance_to_closest_record(train, fresh, holdout)
    assert f.ratio == pytest.approx(1.0, abs=0.08)
    far = distance_to_closest_record(train, fresh + 10.0, holdout)
    assert far.ratio > 5


def test_nearest_distance_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    train, syn = rng.normal(size=(50, 3)), rng.normal(size=(20, 3))
    d = distance_to_closest_record(train, syn, syn)  # equal sizes: nothing subsampled
    brute = np.sqrt(((syn[:, None] - train[None]) ** 2).sum(-1)).min(1).mean()
    assert d.synthetic_mean == pytest.approx(brute) and d.ratio == pytest.approx(1.0)


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="one d"):
        distance_to_closest_record(np.ones((5, 3)), np.ones((5, 2)), np.ones((5, 3)))
