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
            rows.append(
                {
                    "metric": name,
                    "group": str(grp),
                    "value": float(value),
                    "ci_low": float(lo[grp]) if lo is not None else np.nan,
                    "ci_high": float(hi[grp]) if hi is not None else np.nan,
                }
            )
        for summary in ("difference", "ratio"):
            value = float(getattr(mf, summary)())
            bounds: Any = getattr(mf, f"{summary}_ci")() if n_boot else None
            rows.append(
                {
                    "metric": name,
                    "group": summary,
                    "value": value,
                    "ci_low": float(bounds[0]) if bounds is not None else np.nan,
                    "ci_high": float(bounds[-1]) if bounds is not None else np.nan,
                }
            )
    return pd.DataFrame(rows)


def tstr_fairness(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    target: str = "released",
    positive: str = "Yes",
    sensitive: Sequence[str] = ("colour", "sex"),
    random_state: int = 0,
) -> pd.DataFrame:
    """Train a classifier on ``train`` records, test it on ``test``; fairness by group.

    Train-on-synthetic-test-on-real (TSTR) passes generated records as ``train`` and real
    held-out ones as ``test``; the same call on real training records gives the
    train-on-real reference. A logistic regression on one-hot features predicts
    ``target == positive``; fairlearn's ``MetricFrame`` splits accuracy, balanced accuracy,
    ROC AUC and selection rate by each ``sensitive`` column, with the demographic-parity and
    equalised-odds differences. Always predicting the majority class scores an AUC and a
    balanced accuracy of 0.5: those two are the numbers a useless model cannot pass.

    Returns
    -------
    pandas.DataFrame
        One row per sensitive column × group (plus ``overall``), with ``accuracy``,
        ``balanced_accuracy``, ``auc``, ``selection_rate``, ``dp_difference``,
        ``eo_difference``. A group holding one class of the target has AUC and balanced
        accuracy NaN.

    Raises
    ------
    ValueError
        When ``target`` is missing, or ``train`` holds only one class of it.
    """
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        equalized_odds_difference,
    )

    if target not in train or target not in test:
        raise ValueError(f"target column {target!r} missing from the train or test records")
    y_train = (train[target].astype(str) == positive).astype(int).to_numpy()
    if len(np.unique(y_train)) < 2:
        raise ValueError(f"train records hold one class of {target!r}; a classifier needs both")
    score = _fit_scores(train, test, y_train, target, random_state)
    y_true = (test[target].astype(str) == positive).astype(int).to_numpy()
    y_pred = (score >= 0.5).astype(int)
    rows = []
    for col in sensitive:
        sf = test[col].astype(str)
        mf = MetricFrame(
            metrics=_score_metrics(), y_true=y_true, y_pred=score, sensitive_features=sf
        )
        common = {
            "dp_difference": float(
                demographic_parity_difference(y_true, y_pred, sensitive_features=sf)
            ),
            "eo_difference": float(
                equalized_odds_difference(y_true, y_pred, sensitive_features=sf)
            ),
        }
        for grp, r in mf.by_group.iterrows():
            rows.append({"sensitive": col, "group": str(grp), **r.to_dict(), **common})
        rows.append({"sensitive": col, "group": "overall", **mf.overall.to_dict(), **common})
    return pd.DataFrame(rows)


def _fit_scores(
    train: pd.DataFrame, test: pd.DataFrame, y: np.ndarray, target: str, random_state: int
) -> np.ndarray:
    """P(positive) for every test record from a logistic regression fitted on ``train``."""
    from sklearn.linear_model import LogisticRegression

    feats = [c for c in test.columns if c != target]
    text = {
        c: str
        for c in feats
        if test[c].dtype == object or str(test[c].dtype) in ("str", "string", "category")
    }
    x_all = pd.get_dummies(
        pd.concat([train[feats], test[feats]], keys=["a", "b"]).astype(text), dtype=float
    )
    x_train, x_test = x_all.loc["a"].to_numpy(), x_all.loc["b"].to_numpy()
    mu, sd = x_train.mean(0), x_train.std(0) + 1e-9
    clf = LogisticRegression(max_iter=1000, random_state=random_state)
    clf.fit((x_train - mu) / sd, y)
    return clf.predict_proba((x_test - mu) / sd)[:, 1]


def _both_classes(metric: Any) -> Any:
    """A ranking metric that is NaN, not an error, where a group holds one class."""

    def wrapped(y_true: np.ndarray, score: np.ndarray) -> float:
        return float(metric(y_true, score)) if len(np.unique(y_true)) == 2 else float("nan")

    return wrapped


def _thresholded(metric: Any) -> Any:
    def wrapped(y_true: np.ndarray, score: np.ndarray) -> float:
        return float(metric(y_true, (np.asarray(score) >= 0.5).astype(int)))

    return wrapped


def _selection_rate(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_pred))


def _score_metrics() -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

    return {
        "accuracy": _thresholded(accuracy_score),
        "balanced_accuracy": _both_classes(_thresholded(balanced_accuracy_score)),
        "auc": _both_classes(roc_auc_score),
        "selection_rate": _thresholded(_selection_rate),
    }
