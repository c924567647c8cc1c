"""Generated tables are judged on held-out records: real ones pass, noise and copies do not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fedgan.data import load_scenario
from fedgan.evaluation import Evaluator, Verdict, scenario_tstr, verdict

pytest.importorskip("sdmetrics")

ARRESTS = load_scenario("arrests-colour")


class _Rows:
    """Stands for a generator that returns fixed encoded rows."""

    num_sources = 0

    def __init__(self, x: np.ndarray) -> None:
        self.x = x

    def eval(self) -> None:
        pass

    def sample(self, n: int, **_: object) -> torch.Tensor:
        return torch.as_tensor(self.x[:n])


def _judge(x: np.ndarray) -> Verdict:
    ev = Evaluator(ARRESTS, samples=len(x), seed=0, device=torch.device("cpu"))
    ev.evaluate(1, _Rows(x))  # type: ignore[arg-type]
    return verdict(ev.table(), title="t")


def test_held_out_real_records_learn_and_are_no_copies() -> None:
    assert ARRESTS.holdout_x is not None
    v = _judge(ARRESTS.holdout_x)
    assert v.learned, v.text()
    assert v.facts["tstr_auc"] >= 0.5 + 0.5 * (v.facts["trtr_auc"] - 0.5)
    assert v.facts["quality"] > 0.9 and v.facts["dcr_ratio"] == pytest.approx(1.0, abs=0.01)
    assert "SDMetrics quality" in v.text() and "CLOSER TO THE TRAINING ROWS" not in v.text()
    assert "TSTR accuracy" in v.text()


def test_noise_is_not_learned() -> None:
    noise = np.random.default_rng(0).normal(size=(1000, ARRESTS.data_dim)).astype(np.float32)
    v = _judge(noise)
    assert not v.learned and "NOT LEARNED" in v.text()
    assert v.facts["quality"] < 0.8


def test_copies_of_training_rows_are_flagged() -> None:
    rows = ARRESTS.x[np.random.default_rng(0).integers(0, len(ARRESTS.x), 1000)]
    v = _judge(rows)
    assert v.facts["dcr_ratio"] < 0.01
    assert "CLOSER TO THE TRAINING ROWS THAN FRESH DATA IS" in v.text()
    assert "100.0% of rows copy a training row" in v.text()


def test_one_record_repeated_is_not_learned_and_says_what_was_not_computed() -> None:
    v = _judge(np.repeat(ARRESTS.x[:1], 500, axis=0))
    assert not v.learned
    assert "train-on-synthetic AUC not computed" in v.text()
    assert "a classifier needs both" in v.text()


def test_scenario_tstr_matches_the_metric_and_refuses_scenarios_without_a_target() -> None:
    # The report and the scorer share scenario_tstr: train on real, test on held out.
    from fedgan.metrics import tstr_fairness

    assert ARRESTS.holdout_x is not None
    train = ARRESTS.encoder.decode(ARRESTS.x)
    test = ARRESTS.encoder.decode(ARRESTS.holdout_x)
    got = scenario_tstr(ARRESTS, train, test)
    assert ARRESTS.tstr is not None
    ref = tstr_fairness(
        train,
        test,
        target=ARRESTS.tstr[0],
        positive=ARRESTS.tstr[1],
        sensitive=(ARRESTS.group_attribute,),
    )
    assert got.equals(ref)
    with pytest.raises(ValueError, match="ring8-minority"):
        scenario_tstr(load_scenario("ring8-minority"), train, test)
