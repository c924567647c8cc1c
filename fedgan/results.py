"""A run's folder: every file of one run, written together or not at all.

The files are written into a fresh hidden folder beside the destination, which then
takes the destination's place; an older folder of that name is moved aside first and
removed after. So a results folder never mixes files of two runs, and an interrupted
write leaves the previous results whole.

Files: ``metrics.csv`` (one row per round × group), ``weights.csv`` and ``clients.csv``
(federated runs), ``samples.csv`` (the last evaluation's samples; records with the
original columns for tabular data), ``generator.pt`` (or the whole trained generator with
:func:`fedgan.load`), ``sources.csv`` (designs with generator sources: each source's client,
group and sampling probability), ``config.json`` (the run config, the scenario, and a
fingerprint of both), ``verdict.txt``, ``verdict.json`` and, with ``tensorboard = true``,
``tensorboard/`` (event files).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from fedgan._io import atomic_write, write_csv, write_json
from fedgan.config import RunConfig
from fedgan.data import Scenario
from fedgan.evaluation import Verdict

__all__ = [
    "RunFiles",
    "check_writable",
    "config_fingerprint",
    "read_reference",
    "samples_frame",
    "write_run",
]


def read_reference(config: RunConfig) -> pd.DataFrame | None:
    """The centralised reference's ``metrics.csv`` named by ``reference-dir`` (``None`` if unset).

    Raises
    ------
    FileNotFoundError
        If ``reference-dir`` is set but holds no ``metrics.csv`` (checked before any work).
    """
    if not config.reference_dir:
        return None
    path = Path(config.reference_dir).expanduser() / "metrics.csv"
    if not path.is_file():
        raise FileNotFoundError(f"reference-dir {config.reference_dir}: no metrics.csv there")
    return pd.read_csv(path)


def config_fingerprint(settings: Mapping[str, Any]) -> str:
    """A short hash of the settings that decide a run's results (``output-dir`` excluded)."""
    keep = {k: v for k, v in sorted(settings.items()) if k != "output-dir"}
    return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run_settings(config: RunConfig, **extra: Any) -> dict[str, Any]:
    """What ``config.json`` records: the run config, the scenario spec, extra facts."""
    settings = config.to_mapping() | extra
    partitions = extra.get("num-partitions") if extra.get("mode") != "centralised" else None
    spec = {
        k: (v.value if hasattr(v, "value") else v)
        for k, v in vars(config.scenario_spec(partitions)).items()
    }
    return settings | {"scenario-spec": spec, "fingerprint": config_fingerprint(settings)}


def samples_frame(scenario: Scenario, x: np.ndarray) -> pd.DataFrame:
    """Generated rows as a table: decoded records for tabular data, else ``x0 … x{d-1}``."""
    if scenario.kind == "tabular":
        return scenario.encoder.decode(x)
    return pd.DataFrame(x).add_prefix("x")


@dataclass
class RunFiles:
    """Everything a run writes."""

    settings: dict[str, Any]
    metrics: pd.DataFrame
    verdict: Verdict
    generator_state: dict[str, torch.Tensor]
    samples: pd.DataFrame | None = None
    weights: pd.DataFrame | None = None
    clients: pd.DataFrame | None = None
    extra: dict[str, str] = field(default_factory=dict)
    folders: dict[str, Path] = field(default_factory=dict)  # copied in whole (TensorBoard events)


def check_writable(out: Path) -> None:
    """Raise ``PermissionError`` naming ``out`` unless a run folder can be made there."""
    parent = Path(out).expanduser().resolve().parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise PermissionError(f"output-dir {out}: cannot create files under {probe}")
    if Path(out).exists() and not Path(out).is_dir():
        raise PermissionError(f"output-dir {out} exists and is not a folder")


def write_run(out: Path, files: RunFiles) -> Path:
    """Write ``files`` as the folder ``out``, all at once; return ``out``."""
    out = Path(out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        write_csv(tmp / "metrics.csv", files.metrics)
        for name in ("weights", "clients", "samples"):
            frame = getattr(files, name)
            if frame is not None:
                write_csv(tmp / f"{name}.csv", frame)
        atomic_write(tmp / "generator.pt", lambda f: torch.save(files.generator_state, f))
        write_json(tmp / "config.json", files.settings)
        atomic_write(tmp / "verdict.txt", lambda f: f.write((files.verdict.text() + "\n").encode()))
        write_json(tmp / "verdict.json", files.verdict.facts)
        for name, text in files.extra.items():
            _write_text(tmp / name, text)
        for name, folder in files.folders.items():
            if Path(folder).is_dir():
                shutil.copytree(folder, tmp / name)
        os.chmod(tmp, 0o755)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode()))


def _swap_into_place(tmp: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
