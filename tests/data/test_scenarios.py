"""Scenarios: shapes, dtypes, shares, registry errors, offline real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fedgan.data import SCENARIOS, Conditioning, grid_means, load_scenario, scenario_spec


def test_grid_geometry_and_minority_share() -> None:
    sc = load_scenario("grid25-minority")
    assert sc.x.shape == (20_000, 2) and sc.x.dtype == np.float32
    assert sc.mode.dtype == np.int64 and sc.group.dtype == np.int64
    assert sorted(set(np.round(sc.mode_means[:, 0], 6))) == [-4, -2, 0, 2, 4]
    assert sc.mode_groups.sum() == 5 and sc.num_groups == 2
    assert np.allclose(sc.mode_weights.sum(), 1) and np.allclose(sc.group_weights, [0.95, 0.05])
    share = (sc.group == 1).mean()
    assert abs(share - 0.05) < 4 * np.sqrt(0.05 * 0.95 / 20_000)  # binomial 4σ
    counts = np.bincount(sc.mode, minlength=25) / len(sc.mode)
    assert np.abs(counts - sc.mode_weights).max() < 0.01
    # samples sit around their own mode's mean with the stated sd
    resid = sc.x - sc.mode_means[sc.mode]
    assert resid.std() == pytest.approx(0.05, rel=0.05)
    assert np.array_equal(sc.group, sc.mode_groups[sc.mode])


def test_ring_has_eight_modes_on_circle() -> None:
    sc = load_scenario("ring8-iid")
    assert sc.num_modes == 8 and sc.num_groups == 1
    assert np.allclose(np.linalg.norm(sc.mode_means, axis=1), 2.0)


def test_conditioning_labels() -> None:
    sc = load_scenario(scenario_spec("grid25-minority", conditioning="mode"))
    assert np.array_equal(sc.label, sc.mode) and sc.num_labels == 25
    sc = load_scenario(scenario_spec("grid25-minority", conditioning="group"))
    assert np.array_equal(sc.label, sc.group) and sc.num_labels == 2
    assert np.allclose(sc.label_weights, [0.95, 0.05])
    assert load_scenario("ring8-iid").conditioning is Conditioning.NONE


def test_same_seed_same_data_other_seed_differs() -> None:
    a, b = load_scenario("ring8-iid"), load_scenario("ring8-iid")
    c = load_scenario(scenario_spec("ring8-iid", seed=1))
    assert np.array_equal(a.x, b.x) and not np.array_equal(a.x, c.x)


def test_digits_offline_with_reduced_minority() -> None:
    sc = load_scenario("digits-minority")
    assert sc.x.shape[1] == 64 and sc.image_shape == (1, 8, 8)
    assert sc.x.min() >= -1 and sc.x.max() <= 1
    assert (sc.group == 1).mean() == pytest.approx(0.05, abs=0.005)
    assert set(np.unique(sc.mode[sc.group == 1])) == {8, 9}


def test_arrests_offline_roundtrip_with_a_stratified_holdout() -> None:
    from collections import Counter

    from sklego.datasets import load_arrests

    sc = load_scenario("arrests-colour")
    assert sc.holdout_x is not None and sc.holdout_group is not None
    assert len(sc.x) + len(sc.holdout_x) == 5226 and sc.x.shape[1] == sc.encoder.width
    assert sc.group_names == ("White", "Black")
    # 20% of each group is held out: 1,288 Black records -> 258 held out, 1,030 trained on
    assert (sc.holdout_group == 1).sum() == 258 and (sc.group == 1).sum() == 1030
    assert sc.group_weights[1] == pytest.approx(1030 / len(sc.x))
    orig = load_arrests(as_frame=True)
    cols = ["colour", "sex", "released", "employed", "citizen", "year", "age", "checks"]
    both = pd.concat([sc.encoder.decode(sc.x), sc.encoder.decode(sc.holdout_x)])

    def records(df: pd.DataFrame) -> Counter[tuple[str, ...]]:
        return Counter(map(tuple, df[cols].astype(str).to_numpy()))

    assert records(both) == records(orig)  # train + held out = the table, record for record
    train_rows = records(sc.encoder.decode(sc.x))
    held = records(sc.encoder.decode(sc.holdout_x))
    assert sum(held.values()) == 1046 and sum(train_rows.values()) == 4180
    assert load_scenario("arrests-sex").group_names == ("Male", "Female")


def test_the_holdout_follows_the_seed_and_can_be_turned_off() -> None:
    a = load_scenario(scenario_spec("arrests-colour", seed=0))
    b = load_scenario(scenario_spec("arrests-colour", seed=1))
    assert a.holdout_x is not None and b.holdout_x is not None
    assert not np.array_equal(a.holdout_x, b.holdout_x)
    none = load_scenario(scenario_spec("arrests-colour", holdout=0.0))
    assert none.holdout_x is None and len(none.x) == 5226
    with pytest.raises(ValueError, match=r"holdout.*\[0, 0.5\]"):
        scenario_spec("arrests-colour", holdout=0.7)


@pytest.mark.parametrize(
    ("name", "over", "field"),
    [
        ("nope", {}, "valid scenarios: arrests-colour"),
        ("grid25-minority", {"alpha": 0.0}, "alpha"),
        ("grid25-minority", {"alpha": -1.0}, "alpha"),
        ("grid25-minority", {"minority_partitions": 11}, "minority_partitions"),
        ("grid25-minority", {"minority_share": 1.0}, "minority_share"),
        ("grid25-minority", {"minority_share": 0.0}, "minority_share"),
        ("grid25-minority", {"partitioner": "random"}, "partitioner"),
        ("grid25-minority", {"colour": "x"}, "unknown scenario field"),
        ("grid25-minority", {"num_partitions": 0}, "num_partitions"),
    ],
)
def test_spec_errors_name_the_field(name: str, over: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        scenario_spec(name, **over)


def test_group_without_modes_rejected() -> None:
    with pytest.raises(ValueError, match="group 0 would have no modes"):
        load_scenario(scenario_spec("ring8-minority", minority_modes=tuple(range(8))))
    with pytest.raises(ValueError, match="minority_modes"):
        load_scenario(scenario_spec("ring8-minority", minority_modes=(9,)))


def test_registry_all_build() -> None:
    for name in SCENARIOS:
        sc = load_scenario(name)
        assert len(sc.x) == len(sc.mode) == len(sc.group) == len(sc.label)
        assert sc.mode_groups.max() < sc.num_groups
    assert grid_means().shape == (25, 2)


def test_decoded_tables_stay_in_the_observed_range_and_integral() -> None:
    from fedgan.data import load_scenario

    sc = load_scenario("arrests-colour")
    enc = sc.encoder
    rng = np.random.default_rng(0)
    wild = rng.normal(0, 50, (500, enc.width))  # far outside what the data holds
    rows = enc.decode(wild)
    real = enc.decode(sc.x)
    for i, col in enumerate(enc.numeric):
        assert rows[col].min() >= real[col].min() and rows[col].max() <= real[col].max(), col
        if enc.integer[i]:
            assert (rows[col] == np.round(rows[col])).all(), col


def test_categorical_spans_cover_each_one_hot_column() -> None:
    from fedgan.data import load_scenario

    sc = load_scenario("arrests-sex")
    enc = sc.encoder
    spans = enc.categorical_spans
    assert [stop - start for start, stop in spans] == [len(v) for _, v in enc.categories]
    assert spans[0][0] == len(enc.numeric) and spans[-1][1] == enc.width
    for start, stop in spans:  # every real record has exactly one 1 in each span
        assert np.array_equal(sc.x[:, start:stop].sum(1), np.ones(len(sc.x)))
