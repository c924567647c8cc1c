"""The seeded default run keeps its numbers: a refactor that changes behaviour fails here.

The fixture holds ``metrics.csv`` of a short run of the default design on the default
scenario (seed 0, in process, which is bit for bit ``flwr run``). A change that is meant
to move the numbers regenerates it, and says so in its commit::

    python -m tests.test_fingerprint
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fedgan.config import RunConfig
from fedgan.federation import run_in_process

FIXTURE = Path(__file__).parent / "fixtures" / "default_run_metrics.csv"
SHORT = {"num-server-rounds": 6, "eval-every": 3, "eval-samples": 800, "seed": 0}


def _metrics() -> pd.DataFrame:
    run = run_in_process(RunConfig.from_mapping(SHORT), num_partitions=5)
    return run.tables()["metrics"]


def test_default_run_matches_its_stored_fingerprint() -> None:
    got, want = _metrics(), pd.read_csv(FIXTURE, keep_default_na=False)
    assert list(got.columns) == list(want.columns)
    for col in want.columns:
        if pd.api.types.is_numeric_dtype(got[col]):  # blanks (not measured) read back as NaN
            want[col] = pd.to_numeric(want[col].replace("", np.nan))
        if pd.api.types.is_numeric_dtype(want[col]) and pd.api.types.is_numeric_dtype(got[col]):
            # a tolerance, not bit equality: other CPUs may round the last bits differently
            np.testing.assert_allclose(
                got[col].to_numpy(float), want[col], rtol=1e-4, atol=1e-6, err_msg=col
            )
        else:
            assert got[col].fillna("").astype(str).tolist() == want[col].astype(str).tolist(), col


if __name__ == "__main__":
    FIXTURE.parent.mkdir(exist_ok=True)
    _metrics().to_csv(FIXTURE, index=False, lineterminator="\n")
    print(f"wrote {FIXTURE}")
