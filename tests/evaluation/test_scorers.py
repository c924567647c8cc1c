"""Scoring: real data scores like real data, a structureless cloud like chance, honest NaNs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fedgan.data import load_scenario
from fedgan.evaluation import Evaluator, chance_hq, score_samples
from fedgan.models import Generator

RING = load_scenario("ring8-minority")


def test_real_rows_score_as_real_data() -> None:
    x = RING.x[np.random.default_rng(1).permutation(len(RING.x))[:2500]].astype(np.float64)
    s = score_samples(RING, x, seed=0)
    assert s.overall["hq"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)  # P(‖N(0, I₂)‖ ≤ 3)
    assert s.overall["modes_held"] == 8 and s.overall["modes_captured"] == 8
    assert s.per_group["mass_ratio"].tolist() == pytest.approx([1.0, 1.0], abs=0.15)
    assert s.notes == {}


def test_chance_is_what_a_structureless_cloud_scores() -> None:
    c = chance_hq(RING)
    assert 0 < c < 0.02
    rng = np.random.default_rng(2)
    cloud = rng.multivariate_normal(RING.x.mean(0), np.cov(RING.x.T), size=2500)
    assert score_samples(RING, cloud, seed=0).overall["hq"] == pytest.approx(c, abs=0.005)


def test_a_missing_group_is_reported_as_missing() -> None:
    majority = RING.x[RING.group == 0][:2500].astype(np.float64)
    s = score_samples(RING, majority, seed=0)
    g1 = s.per_group.loc[1]
    assert g1["modes_held"] == 0 and g1["mass_ratio"] == 0 and g1["coverage"] == 0
    assert np.isnan(g1["recall"]) and "group/1/recall" in s.notes


def test_digits_and_tables_have_their_anchors() -> None:
    digits = load_scenario("digits-minority")
    s = score_samples(digits, digits.x[:600].astype(np.float64), seed=0)
    assert {"chance_coverage", "real_coverage", "evaluator_accuracy"} <= set(s.overall)
    assert s.overall["chance_coverage"] < s.overall["real_coverage"]
    arrests = load_scenario("arrests-colour")
    one_class = arrests.x[:500].copy()
    t = score_samples(arrests, one_class, seed=0)
    assert "tstr" not in t.notes or "not computed" in t.notes["tstr"]


def test_evaluator_rows_are_tidy_and_sources_follow_the_probabilities() -> None:
    torch.manual_seed(0)
    gen = Generator((2,), num_sources=4, source_layers=4, hidden=8)
    with torch.no_grad():
        gen.layers[-1].bias[:] = torch.tensor([[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [0.0, -2.0]])
        gen.layers[-1].weight.zero_()
    ev = Evaluator(RING, samples=1000, seed=0, device=torch.device("cpu"))
    probs = np.array([0.5, 0.0, 0.5, 0.0])
    x = ev.sample(gen, source_probs=probs)
    assert set(map(tuple, np.round(x, 6))) == {(2.0, 0.0), (-2.0, 0.0)}
    flat = ev.evaluate(3, gen, source_probs=probs, target_share=np.array([0.9, 0.1]))
    assert "group/1/mass_ratio" in flat and flat["hq"] == 1.0
    t = ev.table()
    assert t.columns[:4].tolist() == ["round", "group", "group_name", "modes"]
    assert t["target_share"].tolist() == [0.9, 0.1] and len(t) == 2
