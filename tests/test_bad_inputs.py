"""The bad-input suite: every case raises the expected error type, naming the culprit.

One table across the project's entry points: run config, library (penalties, losses,
weights, models, metrics), partitioner, data owner files, protocol, report. Each case is
a call, the exception type it must raise, and a word its message must hold.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from fedgan import (
    GroupReweighter,
    critic_loss,
    generator_loss,
    gradient_penalty,
    group_gradient_penalty,
    r1_penalty,
)
from fedgan.config import RunConfig, RunConfigError
from fedgan.data import (
    MinorityConcentratedPartitioner,
    OwnerFileError,
    load_scenario,
    read_owner_file,
    scenario_spec,
)
from fedgan.federation import client_weights
from fedgan.metrics import mode_coverage, prdc
from fedgan.models import build_models
from fedgan.protocol import read_report, report_metrics
from fedgan.training import TrainConfig
from simulations._cli import parse_run_config
from simulations.report import RunFolderError, build_report

LIN = torch.nn.Linear(2, 1)
R, F, G = torch.randn(4, 2), torch.randn(4, 2), torch.tensor([0, 1, 0, 1])
NAN_ROWS = torch.tensor([[0.0, 1.0], [float("nan"), 0.0], [1.0, 1.0], [0.0, 0.0]])
MEANS, SDS = np.zeros((2, 2)), np.ones(2)
REPORT = report_metrics(partition_id=0, num_partitions=2, counts=np.array([3, 1]))


def _config(values: dict) -> Callable[[], object]:
    return lambda: RunConfig.from_mapping(values)


CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # run config: every key named
    ("unknown key", _config({"num-rounds": 3}), RunConfigError, "num-rounds"),
    ("negative seed", _config({"seed": -5}), RunConfigError, "seed"),
    ("text for a number", _config({"lr-g": "0.001"}), RunConfigError, "lr-g"),
    ("bool for an int", _config({"batch-size": True}), RunConfigError, "batch-size"),
    ("float for an int", _config({"n-critic": 2.5}), RunConfigError, "n-critic"),
    ("unknown design", _config({"federation": "gossip"}), RunConfigError, "federation"),
    ("target share text", _config({"target-share": "half,half"}), RunConfigError, "target-share"),
    (
        "target share non-finite",
        _config({"target-share": "0.5,inf"}),
        RunConfigError,
        "target-share",
    ),
    (
        "noise 0 with dp",
        _config({"dp": "critic", "noise-multiplier": 0.0}),
        RunConfigError,
        "noise-multiplier",
    ),
    ("fraction 0", _config({"fraction-train": 0.0}), RunConfigError, "fraction-train"),
    ("lr-final 0", _config({"lr-final": 0.0}), RunConfigError, "lr-final"),
    ("minority share 1", _config({"minority-share": 1.0}), RunConfigError, "minority-share"),
    ("alpha negative", _config({"alpha": -1.0}), RunConfigError, "alpha"),
    ("nan lambda", _config({"lambda-gp": float("nan")}), RunConfigError, "lambda-gp"),
    ("run-config text", lambda: parse_run_config("seed"), RunConfigError, "seed"),
    # library: penalties and losses
    ("penalty nan real", lambda: group_gradient_penalty(LIN, NAN_ROWS, F, G), ValueError, "real"),
    ("penalty nan fake", lambda: gradient_penalty(LIN, R, NAN_ROWS), ValueError, "fake"),
    (
        "penalty text lambda",
        lambda: gradient_penalty(LIN, R, F, lambda_gp="10"),
        TypeError,
        "lambda_gp",
    ),  # type: ignore[arg-type]
    (
        "group penalty text lambda",
        lambda: group_gradient_penalty(LIN, R, F, G, lambda_gp="10"),
        TypeError,
        "lambda_gp",
    ),  # type: ignore[arg-type]
    (
        "penalty bad groups",
        lambda: group_gradient_penalty(LIN, R, F, torch.tensor([0, 1])),
        ValueError,
        "groups",
    ),
    ("r1 inf rows", lambda: r1_penalty(LIN, torch.full((2, 2), float("inf"))), ValueError, "real"),
    ("r1 negative gamma", lambda: r1_penalty(LIN, R, gamma=-1.0), ValueError, "gamma"),
    (
        "loss nan scores",
        lambda: critic_loss(torch.tensor([float("nan")]), torch.tensor([0.0])),
        ValueError,
        "d_real",
    ),
    (
        "loss text weights",
        lambda: generator_loss(torch.ones(2), torch.tensor([0, 1]), group_weights="1,1"),
        TypeError,
        "group_weights",
    ),  # type: ignore[arg-type]
    (
        "reweighter nan counts",
        lambda: GroupReweighter("uniform", counts=[1.0, float("nan")]),
        ValueError,
        "counts",
    ),
    ("train config", lambda: TrainConfig(batch_size=0), ValueError, "batch_size"),
    ("model kind", lambda: build_models((2,), kind="resnet"), ValueError, "kind"),  # type: ignore[arg-type]
    # client weights
    (
        "weights nan counts",
        lambda: client_weights([[1.0, np.nan]], scheme="size"),
        ValueError,
        "counts",
    ),
    ("weights text counts", lambda: client_weights("12", scheme="size"), TypeError, "counts"),  # type: ignore[arg-type]
    (
        "weights bad scheme",
        lambda: client_weights([[1.0, 1.0]], scheme="mode"),
        ValueError,
        "scheme",
    ),  # type: ignore[arg-type]
    (
        "weights target length",
        lambda: client_weights([[1.0, 1.0]], scheme="group-balanced", target_share=[1, 1, 1]),
        ValueError,
        "target_share",
    ),
    # metrics
    (
        "coverage nan sds",
        lambda: mode_coverage(np.zeros((3, 2)), MEANS, np.array([1.0, np.nan])),
        ValueError,
        "stds",
    ),
    (
        "coverage nan means",
        lambda: mode_coverage(np.zeros((3, 2)), np.full((2, 2), np.nan), SDS),
        ValueError,
        "means",
    ),
    (
        "coverage nan weights",
        lambda: mode_coverage(np.zeros((3, 2)), MEANS, SDS, weights=np.array([np.nan, 1])),
        ValueError,
        "weights",
    ),
    (
        "coverage no modes",
        lambda: mode_coverage(np.zeros((3, 2)), np.zeros((0, 2)), np.zeros(0)),
        ValueError,
        "means",
    ),
    (
        "coverage nan samples",
        lambda: mode_coverage(np.full((3, 2), np.nan), MEANS, SDS),
        ValueError,
        "samples",
    ),
    (
        "prdc shapes",
        lambda: prdc(np.zeros((10, 2)), np.zeros((10, 3))),
        ValueError,
        "real and fake",
    ),
    # scenarios and partitioner
    ("scenario name", lambda: scenario_spec("ring9"), ValueError, "ring9"),
    (
        "partitioner text ids",
        lambda: MinorityConcentratedPartitioner(
            num_partitions=4,
            partition_by="group",
            minority_groups=[1],
            minority_partitions="2",
            alpha=0.3,
        ),
        TypeError,
        "minority_partitions",
    ),  # type: ignore[arg-type]
    (
        "partitioner too many",
        lambda: MinorityConcentratedPartitioner(
            num_partitions=4,
            partition_by="group",
            minority_groups=[1],
            minority_partitions=5,
            alpha=0.3,
        ),
        ValueError,
        "minority_partitions",
    ),
    (
        "partitioner alpha",
        lambda: MinorityConcentratedPartitioner(
            num_partitions=4,
            partition_by="group",
            minority_groups=[1],
            minority_partitions=1,
            alpha=float("inf"),
        ),
        ValueError,
        "alpha",
    ),
    # protocol: replies
    (
        "reply nan count",
        lambda: read_report(REPORT | {"group/1/count": float("nan")}),
        ValueError,
        "count",
    ),
    ("reply bad status", lambda: read_report(REPORT | {"status": 9.0}), ValueError, "status"),
    (
        "reply missing key",
        lambda: read_report({k: v for k, v in REPORT.items() if k != "num-groups"}),
        ValueError,
        "num-groups",
    ),
]


@pytest.mark.parametrize(("call", "exc", "word"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_by_name(
    call: Callable[[], object], exc: type[Exception], word: str
) -> None:
    with pytest.raises(exc, match=word):
        call()


def test_file_inputs_are_refused_by_name(tmp_path: Path) -> None:
    ring = load_scenario("ring8-minority")
    pd.DataFrame({"x0": [0.0], "group": [0]}).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(OwnerFileError, match=r"rows\.csv: no column 'x1'"):
        read_owner_file(tmp_path / "rows.csv", ring)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"scenario": "ring8-minority", "scenario-spec": {}}')
    (run / "metrics.csv").write_text("round,group\n0,0\n1")
    with pytest.raises(RunFolderError, match=r"metrics\.csv, line 3"):
        build_report([run], tmp_path / "report")


def test_the_suite_is_big_enough() -> None:
    assert len(CASES) + 2 >= 40
