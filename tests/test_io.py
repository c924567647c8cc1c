"""Atomic writes: all or nothing, with the usual file permissions."""

from __future__ import annotations

import importlib
import os
import stat
from pathlib import Path

import pandas as pd
import pytest

import fedgan._io
from fedgan._io import atomic_write


def test_written_file_gets_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o027)  # the module reads the umask once, at import
    try:
        io = importlib.reload(fedgan._io)
        path = io.write_csv(tmp_path / "t.csv", pd.DataFrame({"a": [1, 2]}))
    finally:
        os.umask(old)
        importlib.reload(fedgan._io)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # not mkstemp's 0600
    assert pd.read_csv(path)["a"].tolist() == [1, 2]


@pytest.mark.parametrize("durable", [True, False])
def test_failed_write_leaves_nothing_behind(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def boom(f: object) -> None:
        f.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, boom, durable=durable)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]
    atomic_write(target, lambda f: f.write(b"new"), durable=durable)
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_only_durable_writes_force_the_bytes_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(fedgan._io.os, "fsync", synced.append)
    atomic_write(tmp_path / "a", lambda f: f.write(b"x"))
    atomic_write(tmp_path / "b", lambda f: f.write(b"x"), durable=False)
    assert len(synced) == 1
