"""``fedgan.load`` / ``TrainedGenerator.sample`` and ``fedgan-sample`` on finished runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import fedgan
from fedgan.evaluation import Evaluator
from tests._tiny_run import tiny_run


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_run(tmp_path_factory.mktemp("ring") / "run", {})


def test_loaded_generator_redraws_the_runs_own_samples(ring_run: Path) -> None:
    # Independent of load's sampler: the evaluator, given the loaded weights and sources.csv,
    # must write exactly the samples the run wrote.
    run = fedgan.load(ring_run)
    probs = run.sources["probability"].to_numpy()
    ev = Evaluator(
        run.scenario,
        samples=run.config.eval_samples,
        seed=run.config.seed,
        device=torch.device("cpu"),
    )
    x = ev.sample(run.generator, source_probs=probs)
    written = pd.read_csv(ring_run / "samples.csv").to_numpy()
    assert np.allclose(x, written, atol=1e-6)


def test_sources_file_matches_the_split(ring_run: Path) -> None:
    sources = fedgan.load(ring_run).sources
    assert sources["probability"].sum() == pytest.approx(1.0)
    minority = sources[(sources["group"] == 1) & (sources["probability"] > 0)]
    assert minority["partition_id"].tolist() == [0]  # ring8-minority: the minority on client 0
    assert (sources["source"] == sources["partition_id"] * 2 + sources["group"]).all()


@pytest.mark.parametrize("group", [0, 1])
def test_sample_of_a_group_draws_only_that_groups_sources(
    ring_run: Path, group: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = fedgan.load(ring_run)
    seen: list[torch.Tensor] = []
    original = run.generator.sample

    def spy(n: int, **kw: object) -> torch.Tensor:
        seen.append(kw["sources"])  # type: ignore[arg-type]
        return original(n, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(run.generator, "sample", spy)
    x = run.sample(400, group=group, seed=1)
    assert isinstance(x, np.ndarray) and x.shape == (400, 2)
    allowed = set(run.sources.query("group == @group and probability > 0")["source"])
    assert set(seen[0].tolist()) <= allowed and seen[0].numel() == 400


def test_same_seed_same_rows_and_bad_arguments_are_named(ring_run: Path) -> None:
    run = fedgan.load(ring_run)
    assert np.array_equal(run.sample(50, seed=4), run.sample(50, seed=4))
    assert not np.array_equal(run.sample(50, seed=4), run.sample(50, seed=5))
    with pytest.raises(ValueError, match=r"group must be one of 0\.\.1"):
        run.sample(5, group=2)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        run.sample(0)
    with pytest.raises(FileNotFoundError, match=r"no config\.json"):
        fedgan.load(ring_run.parent / "missing")


def test_a_ctgan_benchmark_folder_is_refused_by_name(ring_run: Path, tmp_path: Path) -> None:
    settings = json.loads((ring_run / "config.json").read_text())
    folder = tmp_path / "ctgan"
    folder.mkdir()
    # what simulations.ctgan_anchor writes: its own key, mode "ctgan"
    (folder / "config.json").write_text(json.dumps(settings | {"mode": "ctgan", "ctgan-epochs": 3}))
    shutil.copy(ring_run / "generator.pt", folder / "generator.pt")
    with pytest.raises(ValueError, match="CTGAN benchmark run"):
        fedgan.load(folder)


def test_centralised_run_samples_the_mixture_but_not_one_group(tmp_path: Path) -> None:
    run = fedgan.load(tiny_run(tmp_path / "c", {}, pooled=True))
    assert run.sources is None and run.sample(10).shape == (10, 2)
    with pytest.raises(ValueError, match="cannot be asked for one group"):
        run.sample(10, group=1)


def test_tables_come_back_as_records_and_images_as_arrays(tmp_path: Path) -> None:
    table = fedgan.load(tiny_run(tmp_path / "t", {"scenario": "arrests-colour"}, partitions=2))
    rows = table.sample(20, group=1, seed=0)
    written = pd.read_csv(tmp_path / "t" / "samples.csv")
    assert isinstance(rows, pd.DataFrame) and list(rows.columns) == list(written.columns)
    images = fedgan.load(
        tiny_run(
            tmp_path / "i",
            {"scenario": "digits-minority", "model": "conv", "num-server-rounds": 1},
            partitions=10,
        )
    )
    x = images.sample(6, group=1)
    assert isinstance(x, np.ndarray) and x.shape == (6, 1, 8, 8)


def test_a_table_run_keeps_the_output_it_was_trained_with(tmp_path: Path) -> None:
    folder = tiny_run(tmp_path / "t", {"scenario": "arrests-colour"}, partitions=2)
    assert fedgan.load(folder).generator.blocks  # today's default: softmax
    # a folder from before the key existed was trained with the linear output
    config = json.loads((folder / "config.json").read_text())
    assert config.pop("categorical-output") == "softmax"
    (folder / "config.json").write_text(json.dumps(config))
    assert fedgan.load(folder).generator.blocks == ()


def test_a_gumbel_table_run_loads_with_its_noise_and_samples_reproducibly(tmp_path: Path) -> None:
    config = {"scenario": "arrests-colour", "categorical-output": "gumbel"}
    trained = fedgan.load(tiny_run(tmp_path / "g", config, partitions=2))
    assert trained.generator.gumbel_tau == 0.2
    assert trained.generator.noise_dim > trained.generator.latent_dim
    first = trained.sample(50, group=1, seed=3)
    assert first.equals(trained.sample(50, group=1, seed=3))
    assert not first.equals(trained.sample(50, group=1, seed=4))


def test_fedgan_sample_writes_a_file_and_refuses_bad_paths(ring_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "minority.csv"
    cmd = [sys.executable, "-m", "simulations.sample", str(ring_run), "--n", "30", "--group", "1"]
    done = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out)
    assert frame.shape == (30, 2)
    assert np.allclose(
        frame.to_numpy(), fedgan.load(ring_run).sample(30, group=1, seed=0), atol=1e-6
    )
    bad = subprocess.run(
        [*cmd, "--out", str(tmp_path / "x.txt")], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "--out must end in .csv or .npy" in bad.stderr
