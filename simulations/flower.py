"""Run the fedgan Flower app with ``flwr run``, quietly, and clean up after it.

``flwr run`` against a local SuperLink starts a detached ``flower-superlink`` that
outlives the command, reinstalls the app's dependencies unless told not to, and waits
forever for missing nodes. This launcher checks the run config first (every key and
value, ``min-nodes`` against the SuperNodes it will start, the output folder), gives
every run its own ``FLWR_HOME`` and ports, disables the reinstall, runs the centralised
reference the verdict compares with (once, cached by its settings), shows one line per
round (a progress bar on a terminal) while Flower's full log goes to ``flower.log`` in
the results folder, bounds the run with a timeout, and stops every process it started
(by PID), also on SIGTERM or Ctrl-C.

    python -m simulations.flower [--num-supernodes 5] [--num-cpus 1] [--num-gpus 0]
        [--timeout 900] [--no-reference] [--run-config "num-server-rounds=5 seed=1"]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import IO, Any

from fedgan.config import RunConfig
from fedgan.console import PREFIX
from fedgan.federation import check_split
from fedgan.results import check_writable
from fedgan.training import use_cpus
from simulations._cli import parse_run_config, render_run_config
from simulations._processes import children, free_port, pids_matching, stop
from simulations._watch import SimulationWatch

__all__ = ["HEARTBEAT_FAILURE", "ROOT", "run_flower", "run_status"]

ROOT = Path(__file__).resolve().parent.parent
HEARTBEAT_FAILURE = "No heartbeat received"
_LOUD = re.compile(r"ERROR|Traceback|Exception|Error:")


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_flower(
    *,
    run_config: dict[str, Any] | str | None = None,
    num_supernodes: int = 5,
    num_cpus: int = 1,
    num_gpus: float = 0.0,
    timeout: float = 900.0,
    home: Path | None = None,
    app: Path = ROOT,
    stream: bool = True,
    retries: int = 2,
) -> int:
    """Run ``flwr run APP local --stream`` and stop everything it started afterwards.

    A run whose SuperLink dropped it for a missed heartbeat before its first round
    (``No heartbeat received from the task``, seen now and then on a loaded machine) is
    started again from scratch, up to ``retries`` times; any other failure is returned.

    Parameters
    ----------
    run_config : dict or str, optional
        Run-config overrides (keys of ``[tool.flwr.app.config]``), as a dict or as
        ``flwr run --run-config`` text (``'k1=v1 k2="text"'``). Checked before anything starts.
    num_supernodes : int
        Simulated clients (each gets ``partition-id`` / ``num-partitions``).
    num_cpus : int
        Whole CPUs per client (Flower's simulation config holds an unsigned integer).
    num_gpus : float
        GPUs per client; a fraction of a GPU lets clients share one.
    timeout : float
        Seconds before the run is stopped and an error is raised.
    home : Path, optional
        ``FLWR_HOME`` (default: a fresh temporary folder).
    app : Path
        The Flower app folder.
    stream : bool
        Show the run's round lines (and errors) on this process's stdout.
    retries : int
        Fresh attempts after a heartbeat failure before the first round.

    Returns
    -------
    int
        0 when the run completed and wrote its results, else non-zero.
    """
    if num_supernodes < 1:
        raise ValueError(f"num_supernodes must be >= 1, got {num_supernodes}")
    if isinstance(num_cpus, bool) or not isinstance(num_cpus, int) or num_cpus < 1:
        raise ValueError(f"num_cpus must be a whole number >= 1, got {num_cpus!r}")
    if num_gpus < 0:
        raise ValueError(f"num_gpus must be >= 0, got {num_gpus}")
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    values = parse_run_config(run_config)
    values.setdefault("output-dir", str(ROOT / "outputs" / "latest"))
    config = RunConfig.from_mapping(values)  # every key and value, before any process starts
    if config.min_nodes > num_supernodes:
        raise ValueError(
            f"min-nodes={config.min_nodes} exceeds the {num_supernodes} SuperNodes this run "
            "starts: Flower would wait forever; lower min-nodes or raise --num-supernodes"
        )
    check_split(config, num_supernodes)  # an impossible split, before any process starts
    check_writable(config.output_path)
    base = Path(home or tempfile.mkdtemp(prefix="fedgan-flwr-"))
    deadline = time.monotonic() + timeout
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        for attempt in range(retries + 1):
            rc, details, rounds = _run_once(
                values=values,
                num_supernodes=num_supernodes,
                num_cpus=num_cpus,
                num_gpus=num_gpus,
                deadline=deadline,
                home=base if attempt == 0 else base / f"retry{attempt}",
                app=app,
                stream=stream,
                timeout=timeout,
                out=config.output_path,
            )
            if rc != 0 and rounds:
                print(
                    f"{PREFIX} the run stopped after {rounds} round(s); its checkpoint is kept: "
                    "run again with resume=true to continue",
                    flush=True,
                )
            if rc == 0 or HEARTBEAT_FAILURE not in details or rounds or attempt == retries:
                if rc == 0 and home is None:  # its log is in the results folder: nothing to keep
                    shutil.rmtree(base, ignore_errors=True)
                return rc
            print(
                f"{PREFIX} Flower dropped the run before its first round ({details}); "
                "starting it again",
                flush=True,
            )
        return rc
    finally:
        signal.signal(signal.SIGTERM, previous)


def _env(home: Path, control: int, http: int, ray_tmp: Path) -> dict[str, str]:
    return os.environ | {
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


class _Console:
    """Round lines to the console (a progress bar on a terminal); everything to the log."""

    def __init__(self, log: IO[str], *, stream: bool, total: int) -> None:
        self.log, self.stream, self.rounds = log, stream, 0
        self.bar = None
        if stream and sys.stdout.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="round", dynamic_ncols=True)

    def line(self, text: str) -> None:
        self.log.write(text)
        shown = text.rstrip("\n")
        if shown.startswith(f"{PREFIX} round"):
            self.rounds += 1
            if self.bar is not None:
                self.bar.update(1)
                self.bar.set_postfix_str(shown.split("  ", 1)[-1])
                return
        if self.stream and (shown.startswith(PREFIX) or _LOUD.search(shown)):
            (self.bar.write if self.bar is not None else print)(shown)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _run_once(
    *,
    values: dict[str, Any],
    num_supernodes: int,
    num_cpus: int,
    num_gpus: float,
    deadline: float,
    home: Path,
    app: Path,
    stream: bool,
    timeout: float,
    out: Path,
) -> tuple[int, str, int]:
    """One ``flwr run``: exit status, the SuperLink's failure details, rounds seen."""
    home.mkdir(parents=True, exist_ok=True)
    control, http = free_port(), free_port()
    # Ray keeps its sockets under its temp dir: a short, private one per run, so that
    # concurrent runs never join each other's cluster (and socket paths stay < 108 chars).
    ray_tmp = Path(tempfile.mkdtemp(prefix="fg-ray-", dir="/tmp"))
    (home / "config.toml").write_text(
        '[superlink]\ndefault = "local"\n\n[superlink.local]\naddress = ":local:"\n'
    )
    env = _env(home, control, http, ray_tmp)
    fed = (
        f"num-supernodes={num_supernodes} client-resources-num-cpus={num_cpus} "
        f"client-resources-num-gpus={num_gpus}"
    )
    cmd = [
        str(Path(sys.executable).with_name("flwr")),
        "run",
        str(app),
        "local",
        "--federation-config",
        fed,
        "--stream",
        "--run-config",
        render_run_config(values),
    ]
    markers = (f"127.0.0.1:{control}", f"127.0.0.1:{http}", str(ray_tmp))
    log_path = home / "flower.log"
    details, run_id = "", None
    with log_path.open("w") as log:
        console = _Console(
            log,
            stream=stream,
            total=int(values.get("num-server-rounds", 0)) or RunConfig().num_server_rounds,
        )
        log.write("$ " + shlex.join(cmd) + "\n")
        proc = subprocess.Popen(
            cmd, env=env, cwd=app, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        # run_id is read when asked: the closure sees the id once the log has given it.
        watch = SimulationWatch(proc, still_running=lambda: _going(run_status(run_id, env, app)))
        watch.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                console.line(line)
                found = re.search(r"Successfully started run (\d+)", line)
                run_id = found.group(1) if found else run_id
                if time.monotonic() > deadline:
                    raise TimeoutError(f"flwr run did not finish within {timeout:.0f} s")
            rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            watch.close()
            if watch.fired:
                details = "the flwr-simulation process ended while the run was still going"
                print(f"{PREFIX} {details} (killed or crashed): run {run_id} stopped", flush=True)
                rc = 1
            status = run_status(run_id, env, app) if rc == 0 else None
            if rc == 0 and status != "finished:completed":
                # `flwr run` exits 0 even when the ServerApp failed: trust the SuperLink's status.
                details = _failure_details(home, run_id)
                print(f"{PREFIX} run {run_id} ended with status {status!r}: {details}", flush=True)
                rc = 1
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"flwr run did not finish within {timeout:.0f} s") from None
        finally:
            watch.close()
            console.close()
            proc.kill()
            # The SuperLink, its SuperExec, the flwr-simulation process and Ray: all ours.
            stop(children(sorted({p for m in markers for p in pids_matching(m)})))
            shutil.rmtree(ray_tmp, ignore_errors=True)
    if rc == 0 and out.is_dir():
        shutil.copyfile(log_path, out / "flower.log")
        if stream and (out / "verdict.txt").is_file():
            print("\n" + (out / "verdict.txt").read_text().rstrip(), flush=True)
    elif rc != 0:
        print(f"{PREFIX} Flower's full log: {log_path}", flush=True)
    return rc, details, console.rounds


def _going(status: str | None) -> bool:
    """Whether a SuperLink status says the run has not ended (``None``: cannot tell, no)."""
    return status is not None and not status.startswith("finished")


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


def run_status(
    run_id: str | None, env: dict[str, str], app: Path, connection: str = "local"
) -> str | None:
    """``status`` of a run as its SuperLink reports it (e.g. ``finished:completed``)."""
    if run_id is None:
        return None
    flwr = str(Path(sys.executable).with_name("flwr"))
    out = subprocess.run(
        [flwr, "list", connection, "--run-id", run_id, "--format", "json"],
        env=env,
        cwd=app,
        capture_output=True,
        text=True,
        timeout=60,
    )
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
    ap.add_argument("--num-supernodes", type=int, default=5)
    ap.add_argument("--num-cpus", type=int, default=1, help="whole CPUs per client (>= 1)")
    ap.add_argument("--num-gpus", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--run-config", default="", help='e.g. "num-server-rounds=5 seed=1"')
    ap.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the centralised reference the verdict compares with",
    )
    args = ap.parse_args(argv)
    values = parse_run_config(args.run_config)
    use_cpus()  # the centralised reference runs in this process
    if not args.no_reference and "reference-dir" not in values:
        from simulations.centralised import ensure_reference

        values["reference-dir"] = str(ensure_reference(values))
    sys.exit(
        run_flower(
            run_config=values,
            num_supernodes=args.num_supernodes,
            num_cpus=args.num_cpus,
            num_gpus=args.num_gpus,
            timeout=args.timeout,
        )
    )


if __name__ == "__main__":
    main()
