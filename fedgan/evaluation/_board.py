"""Evaluated rounds as TensorBoard scalars, written while the run goes (``tensorboard = true``).

Tags follow ``metrics.csv``: ``group/<g>/<column>`` for each group's columns and
``overall/<column>`` for the run-wide ones (``overall_hq`` → ``overall/hq``), with the server
round as the step. Values that are not finite numbers (a reverse KL with no high-quality
sample, a coverage that could not be computed) are left out, as are text columns. Event files
hold wall-clock times, so they are outside the runs' bit-for-bit promise.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["MetricBoard", "board_scalars", "tensorboard_available"]


def tensorboard_available() -> bool:
    """Whether the ``tensorboard`` package (needed by ``torch.utils.tensorboard``) is installed."""
    return importlib.util.find_spec("tensorboard") is not None


def board_scalars(rows: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """The tags and values of one evaluated round's ``metrics.csv`` rows."""
    out: dict[str, float] = {}
    for row in rows:
        for key, value in row.items():
            if key in ("round", "group") or isinstance(value, (str, bool)) or value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(number):
                continue
            if key.startswith("overall_"):
                out[f"overall/{key.removeprefix('overall_')}"] = number
            else:
                out[f"group/{int(row['group'])}/{key}"] = number
    return out


class MetricBoard:
    """A TensorBoard writer for one run's evaluated rounds.

    Parameters
    ----------
    logdir : Path
        Where the event files go (created if needed).
    """

    def __init__(self, logdir: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter  # needs the tensorboard package

        self.logdir = Path(logdir)
        self.writer = SummaryWriter(log_dir=str(self.logdir))

    def write(self, server_round: int, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add one evaluated round's scalars and flush them, so a watcher sees them now."""
        for tag, value in board_scalars(rows).items():
            self.writer.add_scalar(tag, value, global_step=server_round)
        self.writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self.writer.close()
