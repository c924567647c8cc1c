"""Each generated row's own quality: which mode it draws and whether it is high quality.

The run-level scorers count modes and shares over a whole sample; judging one generator
source (one client's group under a client-conditional generator) needs the same judgement
row by row, so that any subset of rows can be summarised.

* **Mixtures**: a row's mode is its nearest mode centre; it is high quality within 3 sds of
  it (the definition :func:`fedgan.metrics.mode_coverage` counts); ``nearest_sd`` is that
  distance in sds.
* **Images**: a row's mode is the evaluator network's most probable digit; it is high
  quality when that digit holds at least :data:`fedgan.metrics.HQ_THRESHOLD` of the
  probability (as the image scorer counts); ``top_probability`` is that probability.
* **Tables**: a generated record has no mode (``-1``); it is high quality when it lies inside
  the 3-nearest-neighbour ball of some real reference row (the precision of
  precision/recall, per row), with the records encoded as released (integers rounded,
  categories one-hot).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedgan.data import Scenario
from fedgan.metrics import HQ_SDS, HQ_THRESHOLD, digits_classifier, nearest_mode, precise_rows

__all__ = ["PER_SAMPLE_COLUMNS", "sample_quality"]

PER_SAMPLE_COLUMNS = ("mode", "hq", "nearest_sd", "top_probability")
_K_PRECISION = 3  # the k of precision's real-row balls (as :func:`fedgan.metrics.prdc`)


def _mixture(scenario: Scenario, x: np.ndarray) -> pd.DataFrame:
    assert scenario.mode_means is not None and scenario.mode_stds is not None
    nearest, near = nearest_mode(x, scenario.mode_means, scenario.mode_stds)
    return pd.DataFrame(
        {"mode": nearest, "hq": near <= HQ_SDS, "nearest_sd": near, "top_probability": np.nan}
    )


def _image(scenario: Scenario, x: np.ndarray) -> pd.DataFrame:
    probs = digits_classifier(0).probs(x.reshape(len(x), -1))
    top = probs.max(axis=1)
    return pd.DataFrame(
        {
            "mode": probs.argmax(axis=1),
            "hq": top >= HQ_THRESHOLD,
            "nearest_sd": np.nan,
            "top_probability": top,
        }
    )


def _tabular(scenario: Scenario, x: np.ndarray, seed: int) -> pd.DataFrame:
    from fedgan.evaluation._scorers import reference_rows

    released = scenario.encoder.encode(scenario.encoder.decode(x)).astype(np.float64)
    ref = scenario.x[reference_rows(scenario, seed)].astype(np.float64)
    inside = precise_rows(ref, released, k=_K_PRECISION)
    return pd.DataFrame({"mode": -1, "hq": inside, "nearest_sd": np.nan, "top_probability": np.nan})


def sample_quality(scenario: Scenario, x: np.ndarray, *, seed: int = 0) -> pd.DataFrame:
    """One row per generated row: ``mode``, ``hq``, ``nearest_sd``, ``top_probability``.

    Parameters
    ----------
    scenario : Scenario
        The scenario the rows imitate (its kind chooses the judgement; see the module).
    x : np.ndarray
        ``[N, d]`` generated rows in data space (images flattened).
    seed : int
        Chooses the real reference rows of tables (as the run-level scorer does).

    Returns
    -------
    pandas.DataFrame
        ``mode`` (-1 where a row has none), ``hq`` (bool), ``nearest_sd`` (mixtures) and
        ``top_probability`` (images); NaN where a column does not apply.

    Raises
    ------
    ValueError
        If ``x`` is not a finite ``[N, d]`` array with the scenario's ``d``.
    """
    rows = np.asarray(x, dtype=np.float64)
    rows = rows.reshape(len(rows), -1) if rows.ndim > 2 else rows
    d = int(np.prod(scenario.x.shape[1:]))
    if rows.ndim != 2 or rows.shape[1] != d or not np.isfinite(rows).all():
        raise ValueError(f"x must be a finite [N, {d}] array, got shape {np.shape(x)}")
    if scenario.kind == "mixture":
        return _mixture(scenario, rows)
    if scenario.kind == "image":
        return _image(scenario, rows)
    return _tabular(scenario, rows, seed)
