"""Bounded influence of what a client declares: the handshake cap and counts that follow replies."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedgan.config import RunConfig, RunConfigError
from fedgan.federation import DESIGNS, Aggregator, make_models, run_in_process
from fedgan.federation._declared import bound_declarations, follow_reports
from tests.federation.test_designs import SCENARIO, _fake_reply

HONEST = {
    0: np.array([3360.0, 991.0]),
    1: np.array([3149.0, 0.0]),
    2: np.array([1425.0, 0.0]),
    3: np.array([7792.0, 0.0]),
    4: np.array([3283.0, 0.0]),
}  # ring8-minority, seed 0


def test_a_lying_declaration_is_cut_to_the_cap_and_honest_ones_are_untouched() -> None:
    lying = dict(HONEST) | {1: HONEST[1] + 1e6}
    out, cut = bound_declarations(lying, cap=4.0)
    totals = sorted(c.sum() for c in lying.values())
    limit = 4.0 * totals[2]  # the median of five totals is the third
    assert cut == [1]
    assert out[1].tolist() == [limit, limit]
    for pid in (0, 2, 3, 4):
        assert out[pid].tolist() == HONEST[pid].tolist()
    assert lying[1][1] == 1e6  # the input is not changed


def test_cap_zero_is_off_and_bad_counts_are_refused() -> None:
    lying = dict(HONEST) | {1: HONEST[1] + 1e6}
    out, cut = bound_declarations(lying, cap=0.0)
    assert cut == [] and out[1][1] == 1e6
    with pytest.raises(ValueError, match=r"partition 2 declared .*finite number >= 0"):
        bound_declarations(HONEST | {2: np.array([np.nan, 1.0])}, cap=4.0)
    with pytest.raises(ValueError, match="partition 0 declared"):
        bound_declarations(HONEST | {0: np.array([-1.0, 1.0])}, cap=4.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1e4), min_size=3, max_size=12),
    st.floats(0, 1e12),
    st.sampled_from([1.0, 2.0, 4.0, 10.0]),
)
def test_one_client_moves_a_pooled_count_by_at_most_cap_times_the_honest_median(
    sizes: list[float], lie: float, cap: float
) -> None:
    # A liar cannot shift the median of the totals outside the honest ones' range, so its
    # count is bounded by cap x the largest honest total, whatever it declares.
    honest = {i: np.array([s, 0.0]) for i, s in enumerate(sizes)}
    out, _ = bound_declarations(honest | {len(sizes): np.array([0.0, lie])}, cap=cap)
    assert out[len(sizes)][1] <= cap * max(sizes) + 1e-6
    assert out[len(sizes)][1] == pytest.approx(min(lie, out[len(sizes)][1]))


def test_counts_follow_what_the_client_trains_on() -> None:
    assert follow_reports(np.array([10.0, 5.0]), np.array([12.0, 0.0])).tolist() == [10.0, 0.0]


def test_the_aggregator_shares_follow_the_replies_not_the_lie() -> None:
    cfg = RunConfig(federation="shared-generator", batch_size=16, eval_samples=200)
    design = DESIGNS["shared-generator"]
    gen, critic = make_models(cfg, SCENARIO, design, num_partitions=3)
    declared = {
        0: np.array([100.0, 10.0]),
        1: np.array([100.0 + 1e6, 1e6]),
        2: np.array([100.0, 0.0]),
    }
    agg = Aggregator(cfg, design, SCENARIO, gen, critic, declared=declared, num_partitions=3)
    assert agg.declared[1].tolist() == [440.0, 440.0]  # 4 x the median total (110)
    replies = [
        _fake_reply(agg, p, 0.01, c) for p, c in ((0, [100, 10]), (1, [100, 0]), (2, [100, 0]))
    ]
    out = agg.aggregate(1, replies)
    assert out.accepted == [0, 1, 2]
    assert agg.asked_share().tolist() == pytest.approx([300 / 310, 10 / 310])
    assert agg.learned_share().tolist() == pytest.approx([300 / 310, 10 / 310])
    # A reply over the handshake's own declaration is still refused.
    out = agg.aggregate(2, [_fake_reply(agg, 2, 0.01, [101, 0])])
    assert out.statuses[0]["status"] == "rejected" and "exceed" in out.statuses[0]["reason"]
    # The lowered counts survive a checkpoint.
    fresh = Aggregator(
        cfg,
        design,
        SCENARIO,
        *make_models(cfg, SCENARIO, design, num_partitions=3),
        declared=declared,
        num_partitions=3,
    )
    fresh.restore(agg.state())
    assert fresh.declared[1].tolist() == [100.0, 0.0]


def test_lie_at_handshake_in_process_run_targets_the_true_shares() -> None:
    tiny = {
        "num-server-rounds": 2,
        "generator-steps": 2,
        "batch-size": 32,
        "eval-samples": 300,
        "hidden": 16,
        "eval-every": 1,
    }
    honest = run_in_process(RunConfig.from_mapping(tiny), num_partitions=5).tables()["metrics"]
    lying = run_in_process(
        RunConfig.from_mapping(tiny | {"lie-at-handshake": 1}), num_partitions=5
    ).tables()["metrics"]
    first = lying[lying["round"] == 0].set_index("group")["target_share"]
    assert first[1] > 0.2  # the lie (capped) is visible before any reply
    for rnd in (1, 2):
        a = honest[honest["round"] == rnd].set_index("group")["target_share"]
        b = lying[lying["round"] == rnd].set_index("group")["target_share"]
        assert b.tolist() == pytest.approx(a.tolist()), rnd


@pytest.mark.parametrize(("key", "value"), [("declared-rows-cap", 0.5), ("lie-at-handshake", -2)])
def test_bad_values_name_the_key(key: str, value: float) -> None:
    with pytest.raises(RunConfigError, match=key.replace("-", ".")):
        RunConfig.from_mapping({key: value})


@pytest.mark.slow
def test_a_lying_client_through_flwr_run_does_not_set_the_mixture(tmp_path: Path) -> None:
    from simulations.flower import run_flower

    out = tmp_path / "out"
    settings_ = {
        "num-server-rounds": 2,
        "generator-steps": 2,
        "eval-every": 1,
        "batch-size": 32,
        "eval-samples": 300,
        "hidden": 16,
        "lie-at-handshake": 1,
        "output-dir": str(out),
    }
    assert run_flower(run_config=settings_, num_supernodes=5, timeout=400, home=tmp_path / "f") == 0
    metrics = pd.read_csv(out / "metrics.csv")
    last = metrics[metrics["round"] == 2].set_index("group")
    real = last["real_share"]
    assert last["target_share"].tolist() == pytest.approx(real.tolist(), abs=1e-3)
    clients = pd.read_csv(out / "clients.csv")
    assert (clients["status"] == "ok").all()
    assert json.loads((out / "config.json").read_text())["lie-at-handshake"] == 1
