"""Real datasets that ship inside installed packages (nothing is downloaded).

* scikit-learn's digits: 1,797 8×8 images, 10 classes; mode = class.
* scikit-lego's arrests: 5,226 records; groups by ``colour`` or ``sex``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from fedgan.data._scenario import Conditioning, Scenario, labelled_scenario

__all__ = ["TabularEncoder", "arrests_scenario", "digits_scenario", "table_scenario"]

ARRESTS_NUMERIC = ("year", "age", "checks")
ARRESTS_CATEGORICAL = ("released", "colour", "sex", "employed", "citizen")


def digits_scenario(
    name: str,
    *,
    minority_classes: Sequence[int] = (8, 9),
    minority_share: float | None = 0.05,
    conditioning: Conditioning = Conditioning.NONE,
    seed: int = 0,
) -> Scenario:
    """Digits scaled to [−1, 1], with ``minority_classes`` as group 1 at a reduced share.

    Minority rows are subsampled (without replacement) until group 1 holds
    ``minority_share`` of the rows; ``None`` keeps every row.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.data.astype(np.float32) / 8.0) - 1.0
    mode = bunch.target.astype(np.int64)
    minority = sorted({int(c) for c in minority_classes})
    if any(not 0 <= c < 10 for c in minority) or len(minority) == 10:
        raise ValueError(
            f"minority_classes must be a proper subset of 0..9, got {list(minority_classes)}"
        )
    mode_groups = np.zeros(10, dtype=np.int64)
    mode_groups[minority] = 1
    keep = np.ones(len(x), dtype=bool)
    if minority and minority_share is not None:
        if not 0 < minority_share < 1:
            raise ValueError(f"minority_share must be in (0, 1), got {minority_share}")
        is_min = mode_groups[mode] == 1
        n_maj = int((~is_min).sum())
        n_min = min(int(is_min.sum()), round(minority_share * n_maj / (1 - minority_share)))
        if n_min < len(minority):
            raise ValueError(
                f"minority_share {minority_share} leaves fewer than one row per minority class"
            )
        rng = np.random.default_rng(seed)
        # keep the same number of rows per minority class
        per_class = n_min // len(minority)
        keep[is_min] = False
        for c in minority:
            rows = np.flatnonzero(mode == c)
            keep[rng.choice(rows, size=min(per_class, len(rows)), replace=False)] = True
    x, mode = x[keep], mode[keep]
    weights = np.bincount(mode, minlength=10) / len(mode)
    num_groups = 2 if minority else 1
    names = ("majority", f"minority (digits {', '.join(map(str, minority))})")
    extra = {
        "num_groups": num_groups,
        "group_names": names[:num_groups],
        "image_shape": (1, 8, 8),
        "bounds": (-1.0, 1.0),
    }
    return labelled_scenario(name, x, mode, mode_groups, weights, conditioning, **extra)


@dataclass(frozen=True)
class TabularEncoder:
    """Standardise numeric columns and one-hot categoricals; invert with :meth:`decode`."""

    numeric: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    categories: tuple[tuple[str, tuple[str, ...]], ...]
    integer: tuple[bool, ...] = ()
    low: tuple[float, ...] = ()  # observed range of each numeric column: decoded values stay in it
    high: tuple[float, ...] = ()

    @classmethod
    def fit(
        cls, df: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
    ) -> TabularEncoder:
        """Learn means, standard deviations and category lists from ``df``."""
        cats = tuple((c, tuple(sorted(str(v) for v in df[c].unique()))) for c in categorical)
        return cls(
            numeric=tuple(numeric),
            mean=tuple(float(df[c].mean()) for c in numeric),
            std=tuple(float(df[c].std()) or 1.0 for c in numeric),
            categories=cats,
            integer=tuple(
                bool(np.all(df[c].to_numpy(float) == np.round(df[c].to_numpy(float))))
                for c in numeric
            ),
            low=tuple(float(df[c].min()) for c in numeric),
            high=tuple(float(df[c].max()) for c in numeric),
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """The record columns, numeric first."""
        return self.numeric + tuple(c for c, _ in self.categories)

    @property
    def width(self) -> int:
        """Encoded feature count."""
        return len(self.numeric) + sum(len(v) for _, v in self.categories)

    @property
    def categorical_spans(self) -> tuple[tuple[int, int], ...]:
        """``(start, stop)`` of each categorical column's one-hot features, in order."""
        spans, at = [], len(self.numeric)
        for _, values in self.categories:
            spans.append((at, at + len(values)))
            at += len(values)
        return tuple(spans)

    def encode(self, df: pd.DataFrame) -> np.ndarray:
        """Records → ``[N, width]`` float32."""
        parts = [
            ((df[c].to_numpy(float) - m) / s)[:, None]
            for c, m, s in zip(self.numeric, self.mean, self.std)
        ]
        for col, values in self.categories:
            col_values = df[col].astype(str).to_numpy()
            parts.append(np.stack([col_values == v for v in values], axis=1).astype(float))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def decode(self, x: np.ndarray) -> pd.DataFrame:
        """``[N, width]`` rows (e.g. generated) → records; argmax per one-hot block."""
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.width:
            raise ValueError(f"x must have shape (N, {self.width}), got {x.shape}")
        out: dict[str, np.ndarray] = {}
        integer = self.integer or (True,) * len(self.numeric)
        low = self.low or (-np.inf,) * len(self.numeric)
        high = self.high or (np.inf,) * len(self.numeric)
        for i, (c, m, s) in enumerate(zip(self.numeric, self.mean, self.std)):
            # within the observed range; integer columns stay integers, others keep decimals
            value = np.clip(x[:, i] * s + m, low[i], high[i])
            out[c] = np.rint(value).astype(np.int64) if integer[i] else value
        j = len(self.numeric)
        for col, values in self.categories:
            block = x[:, j : j + len(values)]
            out[col] = np.asarray(values, dtype=object)[block.argmax(axis=1)]
            j += len(values)
        return pd.DataFrame(out)


def table_scenario(
    name: str,
    frame: pd.DataFrame,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    group: str,
    tstr: tuple[str, str] | None = None,
    conditioning: Conditioning = Conditioning.NONE,
    holdout: float = 0.2,
    seed: int = 0,
) -> Scenario:
    """Records of a table as a scenario: numeric columns standardised, categoricals one-hot.

    The groups are the values of ``group`` (a categorical column), largest first; each
    group is one mode. ``tstr`` names a binary target and its positive value for the
    train-on-synthetic-test-on-real fairness check. Generated rows decode back to records
    (``scenario.encoder.decode``).

    A share ``holdout`` of every group's rows (drawn with ``seed``) is set aside before
    anything else: the encoder is fitted and the clients are served from the rest, and the
    evaluation tests on the held-out rows (``scenario.holdout_x``). ``0`` keeps every row
    for training and leaves nothing to test on.

    Raises
    ------
    ValueError
        For a missing column, a group column not among ``categorical``, empty cells, or
        ``holdout`` outside [0, 0.5].
    """
    for col in (*numeric, *categorical):
        if col not in frame:
            raise ValueError(f"table {name!r}: no column {col!r}")
        if frame[col].isna().any():
            raise ValueError(f"table {name!r}, column {col!r}: empty cells")
    if group not in categorical:
        raise ValueError(
            f"group column {group!r} must be one of the categorical columns {list(categorical)}"
        )
    if not 0 <= holdout <= 0.5:
        raise ValueError(f"holdout must be a share in [0, 0.5], got {holdout!r}")
    counts = frame[group].astype(str).value_counts()
    names = tuple(str(v) for v in counts.index)  # majority first: group 0 is the largest
    code = frame[group].astype(str).map({n: i for i, n in enumerate(names)}).to_numpy(np.int64)
    held = _stratified_holdout(code, holdout, seed)
    train, test = frame[~held].reset_index(drop=True), frame[held].reset_index(drop=True)
    enc = TabularEncoder.fit(train, numeric, categorical)
    x, mode = enc.encode(train), code[~held]
    mode_groups = np.arange(len(names), dtype=np.int64)
    return labelled_scenario(
        name,
        x,
        mode,
        mode_groups,
        np.bincount(mode, minlength=len(names)).astype(float) / len(mode),
        conditioning,
        num_groups=len(names),
        encoder=enc,
        group_names=names,
        group_attribute=group,
        tstr=tstr,
        holdout_x=enc.encode(test) if held.any() else None,
        holdout_group=code[held] if held.any() else None,
    )


def _stratified_holdout(group: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Mask of held-out rows: ``round(share × n_g)`` of every group's ``n_g`` rows."""
    rng = np.random.default_rng([seed, 7])  # its own stream: the split does not shift others
    held = np.zeros(len(group), dtype=bool)
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        held[rng.permutation(rows)[: round(share * len(rows))]] = True
    return held


def arrests_scenario(
    name: str,
    *,
    sensitive: Literal["colour", "sex"] = "colour",
    conditioning: Conditioning = Conditioning.NONE,
    holdout: float = 0.2,
    seed: int = 0,
) -> Scenario:
    """Arrests records encoded for a GAN; group (and mode) = the sensitive attribute.

    ``holdout`` of each group's rows (drawn with ``seed``) are kept for testing
    (:func:`table_scenario`).
    """
    from sklego.datasets import load_arrests

    if sensitive not in ("colour", "sex"):
        raise ValueError(f"sensitive must be 'colour' or 'sex', got {sensitive!r}")
    return table_scenario(
        name,
        load_arrests(as_frame=True),
        numeric=ARRESTS_NUMERIC,
        categorical=ARRESTS_CATEGORICAL,
        group=sensitive,
        tstr=("released", "Yes"),
        conditioning=conditioning,
        holdout=holdout,
        seed=seed,
    )
