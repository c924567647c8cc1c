"""fairlearn integration: MetricFrame disaggregation and TSTR fairness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fedgan.metrics import disaggregate, tstr_fairness


def test_disaggregate_group_means_gaps_and_cis() -> None:
    rng = np.random.default_rng(0)
    g = np.repeat([0, 1], [400, 100])
    covered = np.concatenate([rng.random(400) < 0.9, rng.random(100) < 0.4]).astype(float)
    t = disaggregate({"coverage": covered}, g, n_boot=100).set_index("group")
    m0, m1 = covered[:400].mean(), covered[400:].mean()
    assert t.loc["0", "value"] == pytest.approx(m0) and t.loc["1", "value"] == pytest.approx(m1)
    assert t.loc["difference", "value"] == pytest.approx(m0 - m1)
    assert t.loc["ratio", "value"] == pytest.approx(m1 / m0)
    assert t.loc["1", "ci_low"] < m1 < t.loc["1", "ci_high"]


def test_disaggregate_bad_shape() -> None:
    with pytest.raises(ValueError, match="coverage"):
        disaggregate({"coverage": np.ones(3)}, np.zeros(4))


def _arrests() -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True).sample(frac=1.0, random_state=0)
    return df.iloc[:3500], df.iloc[3500:]


def test_train_on_real_beats_the_majority_baseline_by_group() -> None:
    train, test = _arrests()
    t = tstr_fairness(train, test)
    assert set(t["sensitive"]) == {"colour", "sex"}
    overall = t[t.group == "overall"]
    assert (overall["auc"] > 0.65).all()  # a useless (constant) model scores 0.5
    assert ((t["dp_difference"] >= 0) & (t["dp_difference"] <= 1)).all()
    assert set(t[t.sensitive == "colour"].group) == {"White", "Black", "overall"}
    # accuracy of the overall row is the test-size-weighted mean of the groups'
    g = t[(t.sensitive == "sex") & (t.group != "overall")].set_index("group")
    n = test["sex"].value_counts()
    weighted = sum(g.loc[k, "accuracy"] * n[k] for k in n.index) / n.sum()
    assert overall[overall.sensitive == "sex"]["accuracy"].iloc[0] == pytest.approx(weighted)


def test_records_whose_target_is_noise_teach_nothing_on_average() -> None:
    # one shuffle's AUC ranges widely (0.33-0.70 measured over five): a random direction in
    # 13 features correlates with the real signal by chance; their mean sits at 0.5
    train, test = _arrests()
    aucs = []
    for seed in range(8):
        labels = np.random.default_rng(seed).permutation(train["released"].to_numpy())
        t = tstr_fairness(train.assign(released=labels), test, sensitive=("colour",))
        aucs.append(t.query("group == 'overall'")["auc"].iloc[0])
    assert 0.4 < np.mean(aucs) < 0.6


def test_a_group_holding_one_class_gets_nan_not_an_error() -> None:
    train, test = _arrests()
    test = test.copy()
    test.loc[test["colour"] == "Black", "released"] = "Yes"
    t = tstr_fairness(train, test, sensitive=("colour",)).set_index("group")
    assert np.isnan(t.loc["Black", "auc"]) and np.isnan(t.loc["Black", "balanced_accuracy"])
    assert np.isfinite(t.loc["White", "auc"])


def test_one_class_train_is_refused() -> None:
    train, test = _arrests()
    with pytest.raises(ValueError, match="one class of 'released'"):
        tstr_fairness(train.assign(released="Yes"), test)
