"""A data owner's own rows: one CSV or Parquet file per SuperNode, checked on load.

The file holds the scenario's feature columns and a ``group`` column:

* mixtures and images: ``x0 … x{d−1}`` (numbers) — what ``samples.csv`` holds;
* tables: the original record columns (decoded values) — also what ``samples.csv`` holds.

``group`` is the group's id (0, 1, …) or its name (``minority (modes 0, 1)``,
``Black``). Every problem is reported with the file and the column: a missing file, a
format other than ``.csv`` / ``.parquet``, a missing column, a non-number or NaN, a group
the run does not know.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fedgan.data._scenario import Scenario

__all__ = ["OwnerFileError", "feature_columns", "read_owner_file", "write_owner_file"]

GROUP_COLUMN = "group"


class OwnerFileError(ValueError):
    """A data owner's file cannot be used; the message names the file and the column."""


def feature_columns(scenario: Scenario) -> list[str]:
    """The columns a data owner's file must hold besides ``group``."""
    if scenario.kind == "tabular":
        return [c for c in scenario.encoder.columns if c != scenario.group_attribute]
    return [f"x{j}" for j in range(scenario.data_dim)]


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise OwnerFileError(f"data file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except (ValueError, OSError, ImportError) as err:
        raise OwnerFileError(f"data file {path} cannot be read: {err}") from None
    raise OwnerFileError(
        f"data file {path} must end in .csv or .parquet, got {suffix or 'no suffix'!r}"
    )


def _groups(path: Path, column: pd.Series, scenario: Scenario) -> np.ndarray:
    if column.isna().any():
        raise OwnerFileError(
            f"data file {path}, column 'group': empty in row(s) {_rows(column.isna())}"
        )
    names = {name: g for g, name in enumerate(scenario.group_names)}
    if pd.api.types.is_numeric_dtype(column):
        ids = column.to_numpy()
        bad = (ids != np.round(ids)) | (ids < 0) | (ids >= scenario.num_groups)
        if bad.any():
            raise OwnerFileError(
                f"data file {path}, column 'group': {sorted(set(column[bad].tolist()))[:5]} are not "
                f"group ids of this run (0 … {scenario.num_groups - 1})"
            )
        return ids.astype(np.int64)
    unknown = sorted(set(column.astype(str)) - set(names))
    if unknown:
        raise OwnerFileError(
            f"data file {path}, column 'group': {unknown[:5]} are not groups of this run "
            f"({list(scenario.group_names)})"
        )
    return column.astype(str).map(names).to_numpy(np.int64)


def _rows(mask: pd.Series) -> list[int]:
    return [int(i) + 2 for i in np.flatnonzero(mask.to_numpy())[:5]]  # file lines, header = 1


def read_owner_file(path: Path | str, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """``(x, group)`` of a data owner's file, in the scenario's encoding (data space).

    Raises
    ------
    OwnerFileError
        For anything that would make the rows unusable; names the file and the column.
    """
    path = Path(path).expanduser()
    frame = _read(path)
    if frame.empty:
        raise OwnerFileError(f"data file {path} has no rows")
    needed = [*feature_columns(scenario), GROUP_COLUMN]
    missing = [c for c in needed if c not in frame]
    if missing:
        raise OwnerFileError(f"data file {path}: no column {missing[0]!r}; the run needs {needed}")
    groups = _groups(path, frame[GROUP_COLUMN], scenario)
    features = frame[needed[:-1]]
    if scenario.kind == "tabular":
        for col in features:
            if features[col].isna().any():
                raise OwnerFileError(
                    f"data file {path}, column {col!r}: empty in row(s) {_rows(features[col].isna())}"
                )
        for col in scenario.encoder.numeric:
            if not pd.api.types.is_numeric_dtype(features[col]):
                raise OwnerFileError(f"data file {path}, column {col!r}: must hold numbers")
        for col, values in scenario.encoder.categories:
            if col in features:
                unknown = sorted(set(features[col].astype(str)) - set(values))
                if unknown:
                    raise OwnerFileError(
                        f"data file {path}, column {col!r}: {unknown[:5]} not among {list(values)}"
                    )
        records = features.assign(
            **{scenario.group_attribute: [scenario.group_names[g] for g in groups]}
        )
        try:
            x = scenario.encoder.encode(records)
        except (KeyError, ValueError) as err:
            raise OwnerFileError(f"data file {path}: {err}") from None
        return x.astype(np.float32), groups
    for col in features:
        values = pd.to_numeric(features[col], errors="coerce")
        if values.isna().any():
            raise OwnerFileError(
                f"data file {path}, column {col!r}: not a number in row(s) {_rows(values.isna())}"
            )
        if not np.isfinite(values.to_numpy()).all():
            raise OwnerFileError(
                f"data file {path}, column {col!r}: inf in row(s) {_rows(~np.isfinite(values))}"
            )
    return features.to_numpy(np.float32), groups


def write_owner_file(path: Path | str, scenario: Scenario, rows: np.ndarray) -> Path:
    """Write rows ``rows`` of ``scenario`` as a data owner's CSV (for demos and tests)."""
    path = Path(path)
    x, g = scenario.x[rows], scenario.group[rows]
    if scenario.kind == "tabular":
        frame = scenario.encoder.decode(x).drop(columns=[scenario.group_attribute])
    else:
        frame = pd.DataFrame(x, columns=feature_columns(scenario))
    frame[GROUP_COLUMN] = g
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path
