"""Checkpoints: the server's run after every round, each client's state after it trains.

Both live in a hidden folder beside the results folder, ``.<output-dir name>.checkpoint``,
written atomically, and go when the run finishes. The server's checkpoint and round log are
forced to disk; a client's state is not (an ``fsync`` cost as much as a sixth of a small
client's round): a killed process leaves every file whole, and a client whose newest state
did not survive a power loss is named in a warning and takes back the one before. A run
started with ``resume = true`` continues after the last round the server completed; a client
whose Flower state is empty (a new run) takes back its newest state from a round the server
completed, so the resumed run repeats, bit for bit, what the interrupted one would have
done.
"""

from __future__ import annotations

import io
import json
import logging
import os
import pickle
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from fedgan._io import atomic_write
from fedgan.config import RunConfig
from fedgan.results import config_fingerprint

__all__ = [
    "append_round_log",
    "checkpoint_dir",
    "clear",
    "load_client",
    "load_server",
    "read_round_log",
    "resume_fingerprint",
    "round_log_tables",
    "save_client",
    "save_server",
]

log = logging.getLogger(__name__)

_ROUND = re.compile(r"round-(\d+)\.pt$")
KEEP = 2  # client states kept: the one the server may resume from and the one in flight


def checkpoint_dir(config: RunConfig) -> Path:
    """``<parent>/.<name>.checkpoint`` beside ``output-dir``."""
    out = config.output_path
    return out.parent / f".{out.name}.checkpoint"


def resume_fingerprint(config: RunConfig) -> str:
    """What must match to resume: every setting but where results go and the resume switch."""
    return config_fingerprint({k: v for k, v in config.to_mapping().items() if k != "resume"})


def _save(path: Path, obj: object, *, durable: bool = True) -> None:
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write(path, lambda f: f.write(buf.getvalue()), durable=durable)


def save_server(config: RunConfig, server_round: int, state: dict[str, Any]) -> Path:
    """Write the server's state after ``server_round`` (tensors and JSON text only)."""
    path = checkpoint_dir(config) / "server.pt"
    _save(path, {"fingerprint": resume_fingerprint(config), "round": server_round} | state)
    return path


def load_server(config: RunConfig) -> dict[str, Any] | None:
    """The server's last checkpoint of this very run config, or ``None``."""
    path = checkpoint_dir(config) / "server.pt"
    if not path.is_file():
        return None
    state = torch.load(path, weights_only=True)
    if state.get("fingerprint") != resume_fingerprint(config):
        raise ValueError(
            f"resume: {path} belongs to a run with other settings; remove it or change output-dir"
        )
    return dict(state)


def save_client(
    config: RunConfig, partition_id: int, server_round: int, arrays: Mapping[str, np.ndarray]
) -> None:
    """Write a client's state after it trained ``server_round``; keep the newest two."""
    folder = checkpoint_dir(config) / f"client-{partition_id}"
    _save(
        folder / f"round-{server_round}.pt",
        {k: torch.from_numpy(np.array(v)) for k, v in arrays.items()},
        durable=False,
    )
    rounds = sorted((int(m.group(1)), p) for p in folder.iterdir() if (m := _ROUND.search(p.name)))
    for _, old in rounds[:-KEEP]:
        old.unlink(missing_ok=True)


def load_client(
    config: RunConfig, partition_id: int, up_to_round: int
) -> dict[str, np.ndarray] | None:
    """A client's newest state from a round ≤ ``up_to_round`` (``None``: it had not trained)."""
    folder = checkpoint_dir(config) / f"client-{partition_id}"
    if not folder.is_dir():
        return None
    rounds = sorted((int(m.group(1)), p) for p in folder.iterdir() if (m := _ROUND.search(p.name)))
    for path in reversed([p for r, p in rounds if r <= up_to_round]):
        try:
            state = torch.load(path, weights_only=True)
        except (RuntimeError, EOFError, pickle.UnpicklingError) as err:
            log.warning(
                "client %d: %s unreadable (%s); taking its state before (the resumed run then "
                "differs from an uninterrupted one)",
                partition_id,
                path,
                err,
            )
            continue
        return {k: v.numpy() for k, v in state.items()}
    return None


def _round_log(config: RunConfig) -> Path:
    return checkpoint_dir(config) / "rounds.jsonl"


def append_round_log(config: RunConfig, server_round: int, rows: Mapping[str, Any]) -> None:
    """Append one round's new log rows (the server checkpoint holds only fixed-size state).

    Appending keeps a round's checkpoint cost flat over a long run; the line is flushed to
    disk before the server checkpoint of the same round is written.
    """
    path = _round_log(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    if server_round == 1 or not path.exists():
        path.unlink(missing_ok=True)  # a fresh run never appends to another run's lines
    with path.open("a", encoding="utf-8") as f:
        f.write(tables_to_text({"round": server_round} | dict(rows)) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_round_log(
    config: RunConfig, up_to_round: int, *, tables: Sequence[str] = ("evaluation",)
) -> list[dict[str, Any]]:
    """The logged rounds ≤ ``up_to_round``, in order, holding only ``tables``.

    Later or torn lines are cut from the file: a crash between a round's log line and its
    server checkpoint leaves one line too many, and the resumed run writes that round again.
    Only the asked-for tables are kept in memory (a long many-client run's weight and client
    rows run to hundreds of megabytes).
    """
    path = _round_log(config)
    if not path.is_file():
        return []
    kept: list[dict[str, Any]] = []
    size = 0  # bytes of the lines kept
    with path.open("rb") as f:
        for raw in f:
            try:
                entry = json.loads(raw)
            except json.JSONDecodeError:
                break  # a torn last line
            if not raw.endswith(b"\n") or int(entry["round"]) > up_to_round:
                break
            kept.append({"round": entry["round"]} | {k: entry[k] for k in tables})
            size += len(raw)
    if size < path.stat().st_size:
        with path.open("rb") as f:
            head = f.read(size)
        atomic_write(path, lambda out: out.write(head))
    return kept


def round_log_tables(config: RunConfig, names: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The round log's rows as one table per name, read a line at a time.

    The rows are not held by the run as it goes, so its memory does not grow with the
    rounds; they come back from the log when the results are written.
    """
    chunks: dict[str, list[pd.DataFrame]] = {name: [] for name in names}
    path = _round_log(config)
    if path.is_file():
        with path.open("rb") as f:
            for raw in f:
                entry = json.loads(raw)
                for name in names:
                    if entry.get(name):
                        chunks[name].append(pd.DataFrame(entry[name]))
    return {
        name: pd.concat(frames, ignore_index=True, sort=False) if frames else pd.DataFrame()
        for name, frames in chunks.items()
    }


def clear(config: RunConfig) -> None:
    """Remove the run's checkpoints (after its results are written)."""
    shutil.rmtree(checkpoint_dir(config), ignore_errors=True)


def tables_to_text(tables: Mapping[str, Any]) -> str:
    """Lists of row dicts (numpy numbers allowed) as JSON text for the checkpoint."""
    return json.dumps(tables, default=lambda o: o.item() if hasattr(o, "item") else str(o))
