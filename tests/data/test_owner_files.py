"""A data owner's file: read back exactly, and every problem named with file and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fedgan.data import OwnerFileError, load_scenario, read_owner_file, write_owner_file

RING = load_scenario("ring8-minority")


def test_roundtrip_mixture_and_table(tmp_path: Path) -> None:
    rows = np.arange(0, 400, 3)
    x, g = read_owner_file(write_owner_file(tmp_path / "a.csv", RING, rows), RING)
    assert np.allclose(x, RING.x[rows]) and np.array_equal(g, RING.group[rows])
    arrests = load_scenario("arrests-colour")
    x2, g2 = read_owner_file(write_owner_file(tmp_path / "b.csv", arrests, rows), arrests)
    assert np.array_equal(g2, arrests.group[rows]) and np.allclose(x2, arrests.x[rows], atol=1e-5)


def _bad(tmp_path: Path, frame: pd.DataFrame, name: str = "bad.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"x0": [0.0], "group": [0]}), r"bad\.csv: no column 'x1'"),
        (
            pd.DataFrame({"x0": [0.0, np.nan], "x1": [1.0, 1.0], "group": [0, 1]}),
            r"column 'x0': not a number in row\(s\) \[3\]",
        ),
        (pd.DataFrame({"x0": ["a"], "x1": [1.0], "group": [0]}), r"column 'x0': not a number"),
        (
            pd.DataFrame({"x0": [0.0], "x1": [1.0], "group": [7]}),
            r"column 'group': \[7\] are not group ids",
        ),
        (
            pd.DataFrame({"x0": [0.0], "x1": [1.0], "group": ["elsewhere"]}),
            r"column 'group': \['elsewhere'\]",
        ),
        (pd.DataFrame({"x0": [0.0], "x1": [1.0], "group": [None]}), r"column 'group': empty"),
        (pd.DataFrame({"x0": [], "x1": [], "group": []}), "no rows"),
    ],
)
def test_bad_files_name_file_and_column(tmp_path: Path, frame: pd.DataFrame, match: str) -> None:
    with pytest.raises(OwnerFileError, match=match):
        read_owner_file(_bad(tmp_path, frame), RING)


def test_missing_file_and_format(tmp_path: Path) -> None:
    with pytest.raises(OwnerFileError, match="does not exist"):
        read_owner_file(tmp_path / "none.csv", RING)
    (tmp_path / "rows.xlsx").write_text("x")
    with pytest.raises(OwnerFileError, match=r"rows\.xlsx must end in \.csv or \.parquet"):
        read_owner_file(tmp_path / "rows.xlsx", RING)


def test_table_categories_are_checked(tmp_path: Path) -> None:
    arrests = load_scenario("arrests-colour")
    frame = pd.read_csv(write_owner_file(tmp_path / "t.csv", arrests, np.arange(5)))
    frame.loc[0, "sex"] = "Unknown"
    with pytest.raises(OwnerFileError, match=r"column 'sex': \['Unknown'\]"):
        read_owner_file(_bad(tmp_path, frame, "t2.csv"), arrests)
    frame = pd.read_csv(tmp_path / "t.csv")
    frame["group"] = ["Purple"] * len(frame)
    with pytest.raises(OwnerFileError, match="column 'group'"):
        read_owner_file(_bad(tmp_path, frame, "t3.csv"), arrests)
