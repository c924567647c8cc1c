"""Atomic file writes: a temp file in the target folder, then ``os.replace``."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

__all__ = ["atomic_write", "write_csv", "write_json"]


def atomic_write(path: Path, write: Callable[[IO[bytes]], Any], *, durable: bool = True) -> Path:
    """Call ``write(f)`` on a temp file next to ``path``, then rename it into place.

    The rename makes the write all-or-nothing for any reader and across a killed process.
    ``durable`` also forces the bytes to disk before the rename (``fsync``), so the file
    survives a power loss too; that costs a few milliseconds a file, which per-round state
    written by every client of a many-client run can skip.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _read_umask() -> int:
    # Reading the umask means setting it; do it once at import, not while threads write files.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as CSV (no index) atomically."""
    return atomic_write(path, lambda f: f.write(frame.to_csv(index=False).encode()))


def write_json(path: Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically."""
    return atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2, default=str).encode()))
