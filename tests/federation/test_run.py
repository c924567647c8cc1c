"""Whole runs in one process: reproducible, every design, client sampling, handshake checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fedgan.config import RunConfig
from fedgan.federation import (
    DESIGNS,
    FederatedRun,
    client_hello,
    run_in_process,
    sample_partitions,
)

TINY = {
    "num-server-rounds": 2,
    "generator-steps": 3,
    "eval-every": 1,
    "batch-size": 32,
    "eval-samples": 300,
    "hidden": 16,
}


@pytest.mark.parametrize("federation", list(DESIGNS))
def test_every_design_runs_and_reports(federation: str) -> None:
    cfg = RunConfig.from_mapping(TINY | {"federation": federation})
    run = run_in_process(cfg, num_partitions=3)
    tables = run.tables()
    m = tables["metrics"]
    assert sorted(m["round"].unique()) == [0, 1, 2] and sorted(m["group"].unique()) == [0, 1]
    assert m["group_name"].tolist()[:2] == ["majority", "minority (modes 0, 1)"]
    assert (tables["weights"].groupby("round")["weight"].sum() - 1).abs().max() < 1e-12
    assert set(tables["clients"]["status"]) == {"ok"}
    files = run.files(mode="federated")
    assert files.verdict.lines[0].startswith("fedgan verdict: ring8-minority")
    assert files.settings["federation"] == federation and files.settings["num-partitions"] == 3


def test_same_seed_same_tables_and_weights() -> None:
    cfg = RunConfig.from_mapping(TINY | {"seed": 4})
    a, b = run_in_process(cfg, num_partitions=3), run_in_process(cfg, num_partitions=3)
    pd.testing.assert_frame_equal(a.tables()["metrics"], b.tables()["metrics"])
    for k, v in a.generator_state().items():
        assert np.array_equal(v.numpy(), b.generator_state()[k].numpy()), k
    c = run_in_process(RunConfig.from_mapping(TINY | {"seed": 5}), num_partitions=3)
    assert not a.tables()["metrics"].equals(c.tables()["metrics"])


def test_client_sampling_is_seeded_and_keeps_absent_clients_state() -> None:
    cfg = RunConfig.from_mapping(TINY | {"fraction-train": 0.4, "num-server-rounds": 4})
    picks = [sample_partitions(cfg, r, list(range(5))) for r in range(1, 5)]
    assert all(len(p) == 2 for p in picks)  # ceil(0.4 × 5) = 2 (min-nodes 2)
    assert picks == [sample_partitions(cfg, r, list(range(5))) for r in range(1, 5)]
    run = run_in_process(cfg, num_partitions=5)
    clients = run.tables()["clients"]
    for pid, part in clients.groupby("partition_id"):
        # a client's critic steps grow by one round's worth each time it trains, whatever it missed
        steps = part.sort_values("round")["critic-steps"].to_numpy()
        assert (steps == 3 * np.arange(1, len(steps) + 1)).all(), pid
    assert set(clients["round"]) == {1, 2, 3, 4}


def test_handshake_disagreements_are_refused() -> None:
    cfg = RunConfig.from_mapping(TINY)
    h0 = client_hello(cfg, partition_id=0, num_partitions=3)
    h1 = client_hello(cfg, partition_id=1, num_partitions=4)
    with pytest.raises(ValueError, match="num-partitions"):
        FederatedRun.build(cfg, hellos=[h0, h1])
    with pytest.raises(ValueError, match="partition id"):
        FederatedRun.build(cfg, hellos=[h0, h0])
    with pytest.raises(ValueError, match="num-partitions is 5"):
        FederatedRun.build(RunConfig.from_mapping(TINY | {"num-partitions": 5}), hellos=[h0])
    with pytest.raises(ValueError, match="target-share has 3 values"):
        FederatedRun.build(RunConfig.from_mapping(TINY | {"target-share": "1,1,1"}), hellos=[h0])


def test_pooled_run_is_one_client_with_every_row() -> None:
    cfg = RunConfig.from_mapping(TINY | {"federation": "private-critics"})
    run = run_in_process(cfg, pooled=True)
    assert run.num_partitions == 1
    assert run.tables()["weights"]["num_examples"].iloc[0] == 20_000


def test_quality_target() -> None:
    from fedgan.federation import quality_met

    good = {
        "modes_held": 8.0,
        "modes": 8.0,
        "hq": 0.93,
        "group/0/mass_ratio": 1.0,
        "group/1/mass_ratio": 0.9,
    }
    assert quality_met(good, target_hq=0.9)
    assert not quality_met(good | {"hq": 0.85}, target_hq=0.9)
    assert not quality_met(good | {"modes_held": 7.0}, target_hq=0.9)
    assert not quality_met(good | {"group/1/mass_ratio": 0.7}, target_hq=0.9)
    assert not quality_met({"coverage": 0.9}, target_hq=0.9)  # no group mass: not judged met


def test_stop_when_met_and_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    import fedgan.federation._run as runmod

    monkeypatch.setattr(runmod, "quality_met", lambda metrics, target_hq: True)
    cfg = RunConfig.from_mapping(TINY | {"num-server-rounds": 5, "stop-when-met": 2})
    run = run_in_process(cfg, num_partitions=2)
    assert [line.server_round for line in run.lines] == [1, 2]  # met at 1 and 2: stop
    files = run.files(mode="federated")
    assert files.verdict.facts["first_round_target_met"] == 1
    assert "Stopped after round 2 of 5" in files.verdict.text()
    timing = files.extra["timing.csv"].splitlines()
    assert timing[0] == "round,seconds" and len(timing) == 3


def test_weight_average_is_released_and_leaves_training_alone() -> None:
    plain = run_in_process(RunConfig.from_mapping(TINY), num_partitions=3)
    averaged = run_in_process(
        RunConfig.from_mapping(TINY | {"generator-ema": 0.5, "ema-start": 0.0}), num_partitions=3
    )
    raw = averaged.aggregator.generator.state_dict()
    # training is untouched: the raw generator is the plain run's, bit for bit
    for k, v in plain.generator_state().items():
        assert np.array_equal(v.numpy(), raw[k].cpu().numpy()), k
    released = averaged.generator_state()
    assert not np.array_equal(released["layers.0.weight"].numpy(), raw["layers.0.weight"].numpy())
    m_plain, m_avg = plain.tables()["metrics"], averaged.tables()["metrics"]
    assert m_plain[m_plain["round"] == 0].equals(m_avg[m_avg["round"] == 0])  # nothing averaged yet
    # with ema-start 0.5 of 2 rounds, round 1 is copied (scored as the plain run) and round 2 averaged
    half_run = run_in_process(
        RunConfig.from_mapping(TINY | {"generator-ema": 0.5, "ema-start": 0.5}), num_partitions=3
    )
    half = half_run.tables()["metrics"]
    assert half[half["round"] <= 1].equals(m_plain[m_plain["round"] <= 1])
    w_half, w_plain = (r.generator_state()["layers.0.weight"] for r in (half_run, plain))
    assert not np.array_equal(w_half.numpy(), w_plain.numpy())


def test_workers_train_the_same_bits_as_one_process() -> None:
    # Sampling (a client's kept state must come back from its worker) and injected crashes
    # (a failed client keeps the state it had) are the parts a pool could get wrong.
    cfg = RunConfig.from_mapping(
        TINY | {"fraction-train": 0.5, "num-server-rounds": 4, "fail-rate": 0.3, "seed": 2}
    )
    one = run_in_process(cfg, num_partitions=4)
    two = run_in_process(cfg, num_partitions=4, workers=2)
    for name, table in one.tables().items():
        pd.testing.assert_frame_equal(table, two.tables()[name], obj=name)
    clients = one.tables()["clients"]
    assert {"ok", "failed"} <= set(clients["status"])  # both paths were taken
    assert clients.groupby("partition_id").size().max() > 1  # some client came back
    for k, v in one.generator_state().items():
        assert np.array_equal(v.numpy(), two.generator_state()[k].numpy()), k


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_whole_number_of_at_least_one(workers: object) -> None:
    with pytest.raises(ValueError, match="workers must be a whole number >= 1"):
        run_in_process(RunConfig.from_mapping(TINY), num_partitions=2, workers=workers)  # type: ignore[arg-type]


def test_the_run_hands_each_rounds_rows_to_the_round_log() -> None:
    # Held in memory for the whole run, the rows grew to gigabytes over 1,000 clients.
    cfg = RunConfig.from_mapping(TINY | {"num-server-rounds": 3})
    held: list[int] = []

    def watch(run: FederatedRun, line: object) -> None:
        held.append(len(run.aggregator.weight_log) + len(run.aggregator.client_log))

    run = run_in_process(cfg, num_partitions=3, on_round=watch)
    assert held == [0, 0, 0]
    tables = run.tables()
    assert tables["weights"]["round"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert tables["clients"].groupby("round").size().tolist() == [3, 3, 3]
