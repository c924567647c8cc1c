"""Tables: SDMetrics' quality report by group, and distance to the closest record.

The quality score is the Synthetic Data Vault's own (``sdmetrics``, an optional extra:
``pip install "fedgan[tables]"``); it is not reimplemented here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["RecordDistances", "distance_to_closest_record", "table_quality"]

_MISSING_SDMETRICS = (
    "the quality report needs SDMetrics: pip install 'fedgan[tables]' (or 'sdmetrics')"
)


def table_quality(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    by: str | None = None,
) -> pd.DataFrame:
    """SDMetrics' single-table quality report, overall and within each value of ``by``.

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Records with the columns ``numeric`` + ``categorical``.
    numeric, categorical : sequence of str
        Column types as SDMetrics' metadata needs them.
    by : str, optional
        A categorical column: the report is also computed on the records of each of its
        values (real and synthetic alike), without that column. A value the synthetic
        records never take gets NaN scores.

    Returns
    -------
    pandas.DataFrame
        One row per ``group`` (``"overall"`` first) with ``score`` (SDMetrics' overall
        quality, the mean of the two properties), ``column_shapes``,
        ``column_pair_trends``, ``real_rows`` and ``synthetic_rows``.

    Raises
    ------
    ImportError
        Without SDMetrics installed.
    ValueError
        For a column missing from either table, or ``by`` not among ``categorical``.
    """
    columns = [*numeric, *categorical]
    for name, frame in (("real", real), ("synthetic", synthetic)):
        missing = [c for c in columns if c not in frame]
        if missing:
            raise ValueError(f"{name} records lack the column(s) {missing}")
    if by is not None and by not in categorical:
        raise ValueError(f"by={by!r} must be one of the categorical columns {list(categorical)}")
    rows = [{"group": "overall", **_report(real, synthetic, numeric, categorical)}]
    if by is not None:
        rest = [c for c in categorical if c != by]
        for value in real[by].astype(str).value_counts().index:
            r = real[real[by].astype(str) == value]
            s = synthetic[synthetic[by].astype(str) == value]
            rows.append({"group": str(value), **_report(r, s, numeric, rest)})
    return pd.DataFrame(rows)


def _report(
    real: pd.DataFrame, synthetic: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> dict[str, float]:
    try:
        with warnings.catch_warnings():  # its deprecation note points at the multi-table API
            warnings.simplefilter("ignore", FutureWarning)
            from sdmetrics.reports.single_table import QualityReport
    except ImportError as err:
        raise ImportError(_MISSING_SDMETRICS) from err

    sizes = {"real_rows": float(len(real)), "synthetic_rows": float(len(synthetic))}
    nan = {"score": math.nan, "column_shapes": math.nan, "column_pair_trends": math.nan}
    if len(synthetic) < 2 or len(real) < 2:
        return nan | sizes
    columns = [*numeric, *categorical]
    metadata = {
        "columns": {c: {"sdtype": "numerical"} for c in numeric}
        | {c: {"sdtype": "categorical"} for c in categorical}
    }
    report = QualityReport()
    report.generate(real[columns], synthetic[columns], metadata, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {
        "score": float(report.get_score()),
        "column_shapes": float(props.get("Column Shapes", math.nan)),
        "column_pair_trends": float(props.get("Column Pair Trends", math.nan)),
    } | sizes


@dataclass(frozen=True)
class RecordDistances:
    """Distance to the closest training record: generated rows against held-out real rows.

    Attributes
    ----------
    ratio : float
        Mean distance of a generated row to its nearest training row over the same for a
        held-out real row. About 1: the generator is no closer to its training rows than
        fresh real data is; well below 1: it copies them.
    synthetic_mean, holdout_mean : float
        The two means.
    synthetic_copies, holdout_copies : float
        Share of rows that equal a training row (distance below 1e-6).
    """

    ratio: float
    synthetic_mean: float
    holdout_mean: float
    synthetic_copies: float
    holdout_copies: float


def distance_to_closest_record(
    train: np.ndarray, synthetic: np.ndarray, holdout: np.ndarray, *, seed: int = 0
) -> RecordDistances:
    """Compare generated and held-out rows' distances to their nearest training row.

    Rows are compared in the space given (fedgan passes encoded rows: standardised numbers,
    one-hot categories). The larger of ``synthetic`` and ``holdout`` is subsampled (with
    ``seed``) to the other's size, so both means rest on as many rows.

    Raises
    ------
    ValueError
        For arrays that are not ``[N, d]`` with one ``d``, or an empty one.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in (train, synthetic, holdout)]
    if any(a.ndim != 2 or len(a) == 0 for a in arrays) or len({a.shape[1] for a in arrays}) > 1:
        raise ValueError(
            "train, synthetic and holdout must be non-empty [N, d] arrays with one d, got "
            f"shapes {[a.shape for a in arrays]}"
        )
    tr, syn, ho = arrays
    n = min(len(syn), len(ho))
    rng = np.random.default_rng(seed)
    syn, ho = (a[rng.permutation(len(a))[:n]] for a in (syn, ho))
    d_syn, d_ho = _nearest(syn, tr), _nearest(ho, tr)
    ho_mean = float(d_ho.mean())
    return RecordDistances(
        ratio=float(d_syn.mean()) / ho_mean if ho_mean > 0 else math.nan,
        synthetic_mean=float(d_syn.mean()),
        holdout_mean=ho_mean,
        synthetic_copies=float((d_syn < 1e-6).mean()),
        holdout_copies=float((d_ho < 1e-6).mean()),
    )


def _nearest(x: np.ndarray, ref: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Euclidean distance of each row of ``x`` to its nearest row of ``ref``."""
    ref_sq = (ref**2).sum(1)
    out = np.empty(len(x))
    for i in range(0, len(x), chunk):
        part = x[i : i + chunk]
        sq = (part**2).sum(1)[:, None] + ref_sq[None, :] - 2.0 * part @ ref.T
        out[i : i + chunk] = np.sqrt(np.maximum(sq.min(1), 0.0))
    return out
