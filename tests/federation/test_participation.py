"""The verdict's participation line: how many rounds each client trained in."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from fedgan.config import RunConfig
from fedgan.federation import run_in_process
from fedgan.federation._participation import FEW_ROUNDS_A_CLIENT, participation, too_few_rounds


def test_counts_rounds_trained_not_replies_and_never_sampled_clients_count_zero() -> None:
    clients = pd.DataFrame(
        {
            "round": [1, 1, 2, 2, 3, 3],
            "partition_id": [0, 1, 0, 1, 0, 2],
            "status": ["ok", "ok", "ok", "failed", "ok", "ok"],
        }
    )
    line, facts = participation(clients, 4, rounds=3)
    # client 0: 3 rounds; 1: 1 (its failed reply does not count); 2: 1; 3: never sampled
    assert facts == {"participation/min": 0, "participation/median": 1.0, "participation/max": 3}
    assert "each of the 4 clients trained in 0–3 of 3 rounds (median 1)" in line


def test_a_sampled_run_reports_what_its_clients_table_says() -> None:
    cfg = RunConfig.from_mapping(
        {
            "num-server-rounds": 6,
            "generator-steps": 2,
            "batch-size": 32,
            "eval-samples": 300,
            "hidden": 16,
            "fraction-train": 0.5,
        }
    )
    run = run_in_process(cfg, num_partitions=4)
    files = run.files(mode="federated")
    trained = files.clients[files.clients["status"] == "ok"].groupby("partition_id")["round"]
    counts = trained.nunique().reindex(range(4), fill_value=0)
    assert counts.sum() == 6 * 2  # two of four clients each round
    assert files.verdict.facts["participation/min"] == counts.min()
    assert files.verdict.facts["participation/max"] == counts.max()
    assert f"trained in {counts.min()}–{counts.max()} of 6 rounds" in files.verdict.text()


def test_sampling_that_leaves_clients_too_few_rounds_is_warned_before_the_run() -> None:
    def cfg(rounds: int, fraction: float) -> RunConfig:
        return RunConfig.from_mapping({"num-server-rounds": rounds, "fraction-train": fraction})

    few = too_few_rounds(cfg(700, 0.1), 100)  # 10 of 100 a round: 70 rounds a client
    assert few is not None and "about 70 of the 700 rounds" in few
    assert f"num-server-rounds >= {FEW_ROUNDS_A_CLIENT * 10}" in few
    assert too_few_rounds(cfg(4500, 0.1), 100) is None  # 450 a client
    assert too_few_rounds(cfg(45000, 0.01), 1000) is None
    assert too_few_rounds(cfg(50, 1.0), 5) is None  # everyone trains every round: user's choice
    assert too_few_rounds(cfg(50, 0.5), 3) is not None  # min-nodes makes it 2 of 3, not all
    assert too_few_rounds(cfg(50, 0.5), 2) is None  # 2 of 2: every client, every round


def test_a_run_logs_the_warning(caplog: pytest.LogCaptureFixture) -> None:
    tiny = {"num-server-rounds": 2, "generator-steps": 1, "eval-every": 1, "batch-size": 16}
    config = RunConfig.from_mapping(tiny | {"fraction-train": 0.5, "eval-samples": 200})
    with caplog.at_level(logging.WARNING, logger="fedgan"):
        run_in_process(config, num_partitions=4)
    assert any("trains in about 1 of the 2 rounds" in r.getMessage() for r in caplog.records)
