"""On a CUDA device: a whole federation trains there and gives the same kind of results."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fedgan.config import RunConfig
from fedgan.federation import run_in_process

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_in_process_federation_on_cuda() -> None:
    cfg = RunConfig.from_mapping(
        {
            "device": "cuda",
            "num-server-rounds": 2,
            "generator-steps": 5,
            "batch-size": 64,
            "eval-samples": 500,
        }
    )
    run = run_in_process(cfg, num_partitions=3)
    assert next(run.aggregator.generator.parameters()).device.type == "cuda"
    m = run.tables()["metrics"]
    assert np.isfinite(m["overall_hq"]).all() and sorted(m["round"].unique()) == [0, 1, 2]
    # the last round is evaluated: the groups' pull was measured on the device too
    assert m.loc[m["round"] == 2, "generator_pull"].sum() == pytest.approx(1.0)
