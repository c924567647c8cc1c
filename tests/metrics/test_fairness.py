"""fairlearn integration: MetricFrame disaggregation and TSTR fairness."""

from __future__ import annotations

import numpy as np
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


def test_tstr_on_real_records_as_synthetic() -> None:
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True)
    t = tstr_fairness(df.sample(2500, random_state=0), df)
    assert set(t["sensitive"]) == {"colour", "sex"}
    overall = t[t.group == "overall"]
    assert (overall["accuracy"] > 0.75).all()
    assert ((t["dp_difference"] >= 0) & (t["dp_difference"] <= 1)).all()
