"""Run the fedgan Flower app with ``flwr run`` and clean up after it.

``flwr run`` against a local SuperLink starts a detached ``flower-superlink``
that outlives the command, reinstalls the app's dependencies unless told not
to, and waits forever for missing nodes. This launcher gives every run its own
``FLWR_HOME`` and ports, disables the reinstall, bounds the run with a timeout
and stops the SuperLink it started (by PID) whatever happens.

    python -m simulations.flower [--num-supernodes 10] [--num-cpus 1] [--num-gpus 0]
        [--timeout 900] [--run-config "num-server-rounds=5 seed=1"]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

__all__ = ["run_flower"]

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pids_matching(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmd and int(entry.name) != os.getpid():
                pids.append(int(entry.name))
    return pids


def _children(pids: list[int]) -> list[int]:
    """``pids`` and all their descendants (by parent pid in /proc)."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = set(pids), list(pids)
    while frontier:
        p = frontier.pop()
        for child, par in parent.items():
            if par == p and child not in found:
                found.add(child)
                frontier.append(child)
    return sorted(found)


def _stop(pids: list[int], timeout: float = 10.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            for kill in (os.killpg, os.kill):  # the SuperLink leads its own session
                try:
                    kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
            time.sleep(0.2)
        pids = [p for p in pids if Path(f"/proc/{p}").exists()]
        if not pids:
            return


def _render(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return repr(value)


def run_flower(
    *,
    run_config: dict[str, object] | str | None = None,
    num_supernodes: int = 10,
    num_cpus: float = 1,
    num_gpus: float = 0.0,
    timeout: float = 900.0,
    home: Path | None = None,
    app: Path = ROOT,
    stream: bool = True,
    retries: int = 2,
) -> int:
    """Run ``flwr run APP local --stream`` and stop the SuperLink afterwards.

    A run whose SuperLink dropped it for a missed heartbeat (``No heartbeat
    received from the task``, a Flower-side failure seen now and then on a
    loaded two-core machine) is started again from scratch, up to ``retries``
    times; any other failure is returned at once.

    Parameters
    ----------
    run_config : dict or str, optional
        Run-config overrides (keys of ``[tool.flwr.app.config]``), as a dict or
        as ``flwr run --run-config`` text (``'k1=v1 k2="text"'``).
    num_supernodes : int
        Simulated clients (each gets ``partition-id`` / ``num-partitions``).
    num_cpus, num_gpus : float
        Resources per client; a fraction of a GPU lets clients share one.
    timeout : float
        Seconds before the run is stopped and an error is raised.
    home : Path, optional
        ``FLWR_HOME`` (default: a fresh temporary folder).
    app : Path
        The Flower app folder.
    stream : bool
        Echo the run's log stream to this process's stdout.
    retries : int
        Fresh attempts after a heartbeat failure.

    Returns
    -------
    int
        ``flwr run``'s exit status.
    """
    if num_supernodes < 1:
        raise ValueError(f"num_supernodes must be >= 1, got {num_supernodes}")
    if num_cpus <= 0 or num_gpus < 0:
        raise ValueError(f"num_cpus must be > 0 and num_gpus >= 0, got {num_cpus}, {num_gpus}")
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    base = Path(home or tempfile.mkdtemp(prefix="fedgan-flwr-"))
    deadline = time.monotonic() + timeout
    for attempt in range(retries + 1):
        rc, details = _run_once(
            run_config=run_config, num_supernodes=num_supernodes, num_cpus=num_cpus,
            num_gpus=num_gpus, deadline=deadline, home=base if attempt == 0 else base / f"retry{attempt}",
            app=app, stream=stream, timeout=timeout,
        )  # fmt: skip
        if rc == 0 or HEARTBEAT_FAILURE not in details or attempt == retries:
            return rc
        print(f"[fedgan] Flower dropped the run ({details}); starting it again", flush=True)
    return rc


HEARTBEAT_FAILURE = "No heartbeat received"


def _run_once(
    *,
    run_config: dict[str, object] | str | None,
    num_supernodes: int,
    num_cpus: float,
    num_gpus: float,
    deadline: float,
    home: Path,
    app: Path,
    stream: bool,
    timeout: float,
) -> tuple[int, str]:
    """One ``flwr run``; returns its exit status and the SuperLink's failure details."""
    home.mkdir(parents=True, exist_ok=True)
    control, http = _free_port(), _free_port()
    # Ray keeps its sockets under its temp dir: a short, private one per run, so that
    # concurrent runs never join each other's cluster (and socket paths stay < 108 chars).
    ray_tmp = Path(tempfile.mkdtemp(prefix="fg-ray-", dir="/tmp"))
    (home / "config.toml").write_text(
        '[superlink]\ndefault = "local"\n\n[superlink.local]\naddress = ":local:"\n'
    )
    env = os.environ | {
        "FLWR_HOME": str(home),
        "FLWR_LOCAL_CONTROL_API_PORT": str(control),
        "FLWR_LOCAL_SUPERLINK_HTTP_API_PORT": str(http),
        "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1",
        "FLWR_DISABLE_UPDATE_CHECK": "1",
        "RAY_TMPDIR": str(ray_tmp),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        # flwr launches flower-superlink by name: make this interpreter's scripts findable.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    fed = f"num-supernodes={num_supernodes} client-resources-num-cpus={num_cpus} client-resources-num-gpus={num_gpus}"
    cmd = [
        str(Path(sys.executable).with_name("flwr")),
        "run",
        str(app),
        "local",
        "--federation-config",
        fed,
        "--stream",  # without it `flwr run` returns as soon as the run is queued
    ]
    if "output-dir" not in str(run_config or ""):
        # A relative output-dir would resolve inside Flower's app cache: pin it to the repo.
        out = f'output-dir="{ROOT / "outputs" / "latest"}"'
        run_config = (
            {**run_config, "output-dir": str(ROOT / "outputs" / "latest")}
            if isinstance(run_config, dict)
            else f"{run_config or ''} {out}".strip()
        )
    if isinstance(run_config, dict):
        run_config = " ".join(f"{k}={_render(v)}" for k, v in run_config.items())
    if run_config:
        cmd += ["--run-config", run_config]
    print("[fedgan] " + shlex.join(cmd), flush=True)
    markers = (f"127.0.0.1:{control}", f"127.0.0.1:{http}", str(ray_tmp))
    details = ""
    proc = subprocess.Popen(
        cmd, env=env, cwd=app, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    run_id = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # tee the stream and pick up the run id
            if stream:
                sys.stdout.write(line)
            found = re.search(r"Successfully started run (\d+)", line)
            run_id = found.group(1) if found else run_id
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"flwr run did not finish within {timeout:.0f} s")
        rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        status = _run_status(run_id, env, app) if rc == 0 else None
        if rc == 0 and status != "finished:completed":
            # `flwr run` exits 0 even when the ServerApp failed: trust the SuperLink's status.
            details = _failure_details(home, run_id)
            print(f"[fedgan] run {run_id} ended with status {status!r}: {details}", flush=True)
            rc = 1
    except subprocess.TimeoutExpired:
        proc.kill()
        raise TimeoutError(f"flwr run did not finish within {timeout:.0f} s") from None
    finally:
        # The SuperLink, its SuperExec, the flwr-simulation process and Ray: all ours.
        _stop(_children(sorted({p for m in markers for p in _pids_matching(m)})))
        shutil.rmtree(ray_tmp, ignore_errors=True)
    return rc, details


def _failure_details(home: Path, run_id: str | None) -> str:
    """Why the SuperLink failed the run's tasks, read from its state database (best effort)."""
    db = home / "local-superlink" / "state.db"
    if run_id is None or not db.is_file():
        return "details unavailable"
    signed = int(run_id) - (1 << 64) if int(run_id) >= 1 << 63 else int(run_id)  # stored as int64
    query = "SELECT details FROM task WHERE sub_status = 'failed' AND run_id = ?"
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            rows = con.execute(query, (signed,)).fetchall()
    except sqlite3.Error:
        return "details unavailable"
    return "; ".join(str(r[0]) for r in rows) or "no failed task recorded"


def _run_status(run_id: str | None, env: dict[str, str], app: Path) -> str | None:
    """``status`` of a run as the local SuperLink reports it (e.g. ``finished:completed``)."""
    if run_id is None:
        return None
    flwr = str(Path(sys.executable).with_name("flwr"))
    out = subprocess.run([flwr, "list", "local", "--run-id", run_id, "--format", "json"],
                         env=env, cwd=app, capture_output=True, text=True, timeout=60)  # fmt: skip
    try:
        runs = json.loads(out.stdout).get("runs", [])
    except json.JSONDecodeError:
        return None
    return str(runs[0].get("status")) if runs else None


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--num-supernodes", type=int, default=10)
    ap.add_argument("--num-cpus", type=float, default=1)
    ap.add_argument("--num-gpus", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--run-config", default="", help='e.g. "num-server-rounds=5 seed=1"')
    args = ap.parse_args(argv)
    sys.exit(run_flower(run_config=args.run_config, num_supernodes=args.num_supernodes, num_cpus=args.num_cpus,
                        num_gpus=args.num_gpus, timeout=args.timeout))  # fmt: skip


if __name__ == "__main__":
    main()
