"""``fedgan.source_quality`` and ``TrainedGenerator.sample(source=…)`` on finished runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import fedgan
import fedgan._sources
from fedgan._sources import SOURCE_COLUMNS
from fedgan.federation._setup import load_split
from tests._tiny_run import tiny_run


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_run(tmp_path_factory.mktemp("sources") / "run", {})


def test_one_row_per_source_with_the_clients_rows_as_they_reported_them(ring_run: Path) -> None:
    table, note = fedgan.source_quality(ring_run, samples_per_source=40)
    run = fedgan.load(ring_run)
    assert note == ""
    assert list(table.columns) == list(SOURCE_COLUMNS)
    assert table["source"].tolist() == run.sources["source"].tolist()
    assert (table["samples"] == 40).all()
    # independent of the rebuilt split: the counts the clients sent in round 1 (weights.csv)
    sent = pd.read_csv(ring_run / "weights.csv").query("round == 1").set_index("partition_id")
    for r in table.itertuples():
        assert r.client_rows == sent.loc[r.partition_id, f"group_{r.group}_count"]
        assert (r.own_modes == 0) == (r.client_rows == 0)
    assert table["hq_fraction"].between(0, 1).all()
    assert table.loc[table["own_modes"] == 0, "own_mode_share"].isna().all()


def test_same_seed_same_table_and_another_seed_draws_other_rows(ring_run: Path) -> None:
    a, _ = fedgan.source_quality(ring_run, samples_per_source=40, seed=3)
    b, _ = fedgan.source_quality(ring_run, samples_per_source=40, seed=3)
    c, _ = fedgan.source_quality(ring_run, samples_per_source=40, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["mean_nearest_sd"], c["mean_nearest_sd"])


def test_a_source_drawing_its_clients_own_modes_evenly_scores_exactly_that(
    ring_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # analytic: every source draws the centres of its own client's modes of its group in turn
    run = fedgan.load(ring_run)
    sc = run.scenario
    clean, _ = fedgan.source_quality(run, samples_per_source=40)  # no folder: nothing rebuilt
    assert clean["client_rows"].isna().all()
    _, parts = load_split(run.config.scenario_spec(3), run.config.scenario)
    own, hist = {}, {}
    for s in run.sources.itertuples():
        rows = parts[s.partition_id]
        own[s.source] = np.unique(sc.mode[rows][sc.group[rows] == s.group])
        hist[s.source] = np.bincount(sc.mode[rows][sc.group[rows] == s.group], minlength=8)

    def centres(n: int, *, sources: torch.Tensor, **_: object) -> torch.Tensor:
        modes = own[int(sources[0])]
        modes = modes if len(modes) else np.array([0])
        return torch.as_tensor(sc.mode_means[modes[np.arange(n) % len(modes)]], dtype=torch.float32)

    monkeypatch.setattr(run.generator, "sample", centres)
    monkeypatch.setattr(fedgan._sources, "load", lambda _: run)
    table, _ = fedgan.source_quality(ring_run, samples_per_source=40)
    trained = table[table["own_modes"] > 0]
    assert len(trained) == 4  # three clients' majority rows, client 0's minority rows
    assert (trained["hq_fraction"] == 1.0).all()
    assert (trained["own_mode_share"] == 1.0).all()
    assert (trained["modes_reached"] == trained["own_modes"]).all()
    for r in trained.itertuples():
        k = int(r.own_modes)
        p = np.bincount(np.arange(40) % k) / 40
        assert r.effective_modes == pytest.approx(np.exp(-(p * np.log(p)).sum()))
        drawn = np.zeros(8)
        drawn[own[r.source]] = p
        client = hist[r.source] / hist[r.source].sum()
        assert r.tv_to_client == pytest.approx(0.5 * np.abs(drawn - client).sum())
        assert 0 < r.tv_floor < 0.5
        pooled = np.concatenate(parts)
        whole = np.bincount(sc.mode[pooled][sc.group[pooled] == r.group], minlength=8)
        assert r.tv_to_group == pytest.approx(0.5 * np.abs(drawn - whole / whole.sum()).sum())


def test_a_split_the_clients_did_not_report_leaves_their_rows_unknown(
    ring_run: Path, tmp_path: Path
) -> None:
    copy = shutil.copytree(ring_run, tmp_path / "copy")
    clients = pd.read_csv(copy / "clients.csv")
    clients.loc[clients["partition_id"] == 1, "group/0/count"] += 5  # as a deployment's own file
    clients.to_csv(copy / "clients.csv", index=False)
    table, note = fedgan.source_quality(copy, samples_per_source=20)
    assert "client 1" in note and table["client_rows"].isna().all()
    (copy / "clients.csv").unlink()
    _, note = fedgan.source_quality(copy, samples_per_source=20)
    assert "clients.csv" in note


def test_bad_requests_are_refused_naming_what_is_allowed(ring_run: Path, tmp_path: Path) -> None:
    run = fedgan.load(ring_run)
    with pytest.raises(ValueError, match="samples_per_source"):
        fedgan.source_quality(run, samples_per_source=5)
    with pytest.raises(ValueError, match="source must be one of the 6 sources"):
        run.sample(10, source=99)
    with pytest.raises(ValueError, match="not both"):
        run.sample(10, group=0, source=1)
    one = run.sample(20, source=1, seed=0)
    assert one.shape == (20, 2)
    unconditional = tiny_run(tmp_path / "pc", {"federation": "private-critics"})
    with pytest.raises(ValueError, match="no sources"):
        fedgan.source_quality(unconditional)
