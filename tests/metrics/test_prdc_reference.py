"""Precision, recall, density and coverage against the reference ``prdc`` package (Naeem et al.)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from fedgan.metrics import prdc as ours

reference = pytest.importorskip("prdc")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_prdc_package(seed: int) -> None:
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(400, 3))
    fake = rng.normal(loc=0.3, scale=1.2, size=(350, 3))
    mine = ours(real, fake, k_pr=3, k_dc=5)
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints the sizes
        pr = reference.compute_prdc(real, fake, nearest_k=3)
        dc = reference.compute_prdc(real, fake, nearest_k=5)
    assert mine.precision == pytest.approx(pr["precision"], abs=1e-12)
    assert mine.recall == pytest.approx(pr["recall"], abs=1e-12)
    assert mine.density == pytest.approx(dc["density"], abs=1e-12)
    assert mine.coverage == pytest.approx(dc["coverage"], abs=1e-12)
