"""The verdict's participation line: how many rounds each client trained in."""

from __future__ import annotations

import pandas as pd

from fedgan.config import RunConfig
from fedgan.federation import run_in_process
from fedgan.federation._participation import participation


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
