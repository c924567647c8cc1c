"""Group disaggregation with fairlearn's MetricFrame, and TSTR fairness on tabular data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["disaggregate", "tstr_fairness"]


def _share(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_pred))


def disaggregate(
    indicators: dict[str, np.ndarray],
    groups: np.ndarray,
    *,
    n_boot: int = 200,
    ci: tuple[float, float] = (0.025, 0.975),
    random_state: int = 0,
) -> pd.DataFrame:
    """Per-group means of 0/1 indicators with bootstrap CIs, gaps and ratios.

    Each indicator is a per-sample outcome (e.g. a real sample's "covered" flag,
    so its group mean is that group's coverage). fairlearn's ``MetricFrame``
    computes the group means, ``difference()`` (max − min over groups),
    ``ratio()`` (min / max) and bootstrap quantiles.

    Parameters
    ----------
    indicators : dict of str to np.ndarray
        Name → ``[N]`` 0/1 (or real-valued) outcome per sample.
    groups : np.ndarray
        ``[N]`` sensitive feature (group id).
    n_boot : int
        Bootstrap resamples (0: no CIs).
    ci : tuple of float
        Lower and upper quantiles.
    random_state : int
        Bootstrap seed.

    Returns
    -------
    pandas.DataFrame
        Tidy: one row per metric × group (``group`` is ``"difference"`` and
        ``"ratio"`` for the between-group summaries) with ``value``, ``ci_low``, ``ci_high``.
    """
    from fairlearn.metrics import MetricFrame

    g = np.asarray(groups)
    if not indicators:
        raise ValueError("indicators must name at least one metric")
    for name, v in indicators.items():
        if np.asarray(v).shape != g.shape:
            raise ValueError(
                f"indicator {name!r} must have shape {g.shape}, got {np.asarray(v).shape}"
            )
    rows = []
    for name, v in indicators.items():
        y = np.asarray(v, dtype=np.float64)
        boot = (
            {"n_boot": n_boot, "ci_quantiles": list(ci), "random_state": random_state}
            if n_boot
            else {}
        )
        mf = MetricFrame(
            metrics=_share,
            y_true=y,
            y_pred=y,
            sensitive_features=pd.Series(g, name="group"),
            **boot,
        )
        lo = mf.by_group_ci[0] if n_boot else None
        hi = mf.by_group_ci[-1] if n_boot else None
        for grp, value in mf.by_group.items():
            rows.append({"metric": name, "group": str(grp), "value": float(value),
                         "ci_low": float(lo[grp]) if lo is not None else np.nan,
                         "ci_high": float(hi[grp]) if hi is not None else np.nan})  # fmt: skip
        for summary in ("difference", "ratio"):
            value = float(getattr(mf, summary)())
            bounds: Any = getattr(mf, f"{summary}_ci")() if n_boot else None
            rows.append({"metric": name, "group": summary, "value": value,
                         "ci_low": float(bounds[0]) if bounds is not None else np.nan,
                         "ci_high": float(bounds[-1]) if bounds is not None else np.nan})  # fmt: skip
    return pd.DataFrame(rows)


def tstr_fairness(
    synthetic: pd.DataFrame,
    real: pd.DataFrame,
    *,
    target: str = "released",
    positive: str = "Yes",
    sensitive: Sequence[str] = ("colour", "sex"),
    random_state: int = 0,
) -> pd.DataFrame:
    """Train on synthetic records, test on real ones; fairness by sensitive column.

    A logistic regression on one-hot features is trained on ``synthetic`` and
    evaluated on ``real``: accuracy and selection rate per group, and fairlearn's
    demographic-parity and equalized-odds differences.

    Returns
    -------
    pandas.DataFrame
        One row per sensitive column × group (plus ``overall``), with
        ``accuracy``, ``selection_rate``, ``dp_difference``, ``eo_difference``.
    """
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        equalized_odds_difference,
        selection_rate,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    if target not in synthetic or target not in real:
        raise ValueError(f"target column {target!r} missing from synthetic or real records")
    y_syn = (synthetic[target].astype(str) == positive).astype(int).to_numpy()
    if len(np.unique(y_syn)) < 2:
        raise ValueError(f"synthetic records hold one class of {target!r}; a classifier needs both")
    feats = [c for c in real.columns if c != target]
    x_all = pd.get_dummies(
        pd.concat([synthetic[feats], real[feats]], keys=["s", "r"]).astype(
            {
                c: str
                for c in feats
                if real[c].dtype == object or str(real[c].dtype) in ("str", "string", "category")
            }
        ),
        dtype=float,
    )
    x_syn, x_real = x_all.loc["s"].to_numpy(), x_all.loc["r"].to_numpy()
    mu, sd = x_syn.mean(0), x_syn.std(0) + 1e-9
    clf = LogisticRegression(max_iter=1000, random_state=random_state).fit((x_syn - mu) / sd, y_syn)
    y_true = (real[target].astype(str) == positive).astype(int).to_numpy()
    y_pred = clf.predict((x_real - mu) / sd)
    rows = []
    for col in sensitive:
        sf = real[col].astype(str)
        mf = MetricFrame(metrics={"accuracy": accuracy_score, "selection_rate": selection_rate},
                         y_true=y_true, y_pred=y_pred, sensitive_features=sf)  # fmt: skip
        dp = float(demographic_parity_difference(y_true, y_pred, sensitive_features=sf))
        eo = float(equalized_odds_difference(y_true, y_pred, sensitive_features=sf))
        for grp, r in mf.by_group.iterrows():
            rows.append(
                {
                    "sensitive": col,
                    "group": str(grp),
                    **r.to_dict(),
                    "dp_difference": dp,
                    "eo_difference": eo,
                }
            )
        rows.append(
            {
                "sensitive": col,
                "group": "overall",
                **mf.overall.to_dict(),
                "dp_difference": dp,
                "eo_difference": eo,
            }
        )
    return pd.DataFrame(rows)
