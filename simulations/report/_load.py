"""Read and check run folders before a report is written."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["RunFolderError", "load_run"]

REQUIRED = ("metrics.csv", "config.json")


class RunFolderError(ValueError):
    """A results folder is missing or malformed; the message names the file (and line)."""


def _read_table(path: Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """A CSV written whole: a header, at least one row, every row as wide as the header."""
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise RunFolderError(f"{path}: empty file")
    if len(rows) == 1:
        raise RunFolderError(f"{path}: a header and no rows")
    width = len(rows[0])
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise RunFolderError(
                f"{path}, line {i}: {len(row)} fields where the header has {width} (cut off?)"
            )
    table = pd.read_csv(path)
    missing = [c for c in required if c not in table]
    if missing:
        raise RunFolderError(f"{path}: no {missing[0]!r} column")
    return table


def load_run(run: Path) -> dict[str, Any]:
    """A run folder's tables, settings and verdict; raise :class:`RunFolderError` if broken."""
    run = Path(run)
    if not run.is_dir():
        raise RunFolderError(f"results folder {run} does not exist")
    missing = [f for f in REQUIRED if not (run / f).is_file()]
    if missing:
        raise RunFolderError(
            f"results folder {run} lacks {', '.join(missing)}; is it a fedgan run?"
        )
    try:
        config = json.loads((run / "config.json").read_text())
    except ValueError as err:
        raise RunFolderError(f"{run / 'config.json'}: not valid JSON ({err})") from None
    if "scenario-spec" not in config or "scenario" not in config:
        raise RunFolderError(f"{run / 'config.json'}: lacks scenario or scenario-spec")
    out: dict[str, Any] = {
        "path": run,
        "config": config,
        "metrics": _read_table(run / "metrics.csv", ("round", "group")),
    }
    for name in ("samples", "weights", "clients"):
        f = run / f"{name}.csv"
        out[name] = _read_table(f) if f.is_file() else None
    f = run / "source-quality.csv"  # written by fedgan-sources, when the user ran it
    out["source_quality"] = _read_table(f, ("group", "hq_fraction")) if f.is_file() else None
    verdict = run / "verdict.txt"
    out["verdict"] = (
        verdict.read_text().rstrip()
        if verdict.is_file()
        else "(no verdict.txt: run from an older fedgan)"
    )
    return out
