"""A real Flower deployment on one machine: SuperLink with TLS and SuperNode authentication.

:class:`LocalDeployment` makes throw-away credentials, starts ``flower-superlink`` (TLS,
``--enable-supernode-auth``), registers SuperNode public keys with ``flwr supernode
register``, starts ``flower-supernode`` processes (each with its own key, the CA
certificate and its own data file), runs the app with ``flwr run . <connection>`` and
stops every process it started, by PID, whatever happens. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from simulations._cli import render_run_config
from simulations._processes import children, free_port, stop
from simulations.deploy._certs import make_ca, make_node_keys, make_server_certificate
from simulations.flower import run_status

__all__ = ["CONNECTION", "LocalDeployment"]

ROOT = Path(__file__).resolve().parents[2]
CONNECTION = "fedgan-local"


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


class LocalDeployment:
    """One SuperLink and its SuperNodes on loopback, with TLS and node authentication.

    Parameters
    ----------
    workdir : Path
        Where credentials, Flower's home, databases and logs go.
    app : Path
        The Flower app (this repository).
    tls : bool
        Serve the SuperLink over TLS (the default); ``False`` only to compare.
    auth : bool
        Only registered SuperNodes may connect (``--enable-supernode-auth``).
    """

    def __init__(
        self, workdir: Path, *, app: Path = ROOT, tls: bool = True, auth: bool = True
    ) -> None:
        self.workdir, self.app, self.tls, self.auth = Path(workdir), app, tls, auth
        self.certs, self.keys, self.logs = (self.workdir / d for d in ("certs", "keys", "logs"))
        self.home = self.workdir / "flwr-home"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        # Flower 1.41 serves the Control, Fleet and Runtime APIs over one HTTP(S) port.
        self.port = free_port()
        for folder in (self.certs, self.keys, self.logs, self.home):
            folder.mkdir(parents=True, exist_ok=True)
        self.ca_key, self.ca_cert = make_ca(self.certs)
        self.server_key, self.server_cert = make_server_certificate(
            self.certs, self.ca_key, self.ca_cert
        )
        connection = [f"[superlink.{CONNECTION}]", f'address = "127.0.0.1:{self.port}"']
        connection += [f'root-certificates = "{self.ca_cert}"'] if tls else ["insecure = true"]
        (self.home / "config.toml").write_text(
            f'[superlink]\ndefault = "{CONNECTION}"\n\n' + "\n".join(connection) + "\n"
        )

    # -- processes -------------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        """Environment of every Flower process: own home, no dependency reinstall."""
        return os.environ | {
            "FLWR_HOME": str(self.home),
            "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1",
            "FLWR_DISABLE_UPDATE_CHECK": "1",
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def _start(self, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        log.write(("$ " + shlex.join(cmd) + "\n").encode())
        log.flush()
        proc = subprocess.Popen(
            cmd,
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = proc
        return proc

    def log(self, name: str) -> str:
        """The output of process ``name`` so far."""
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def _wait_port(self, port: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            if self.processes["superlink"].poll() is not None:
                raise RuntimeError(
                    f"flower-superlink exited early:\n{self.log('superlink')[-2000:]}"
                )
            time.sleep(0.3)
        raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")

    def start_superlink(self) -> None:
        """``flower-superlink`` with TLS and node authentication on a fresh loopback port."""
        cmd = [
            _bin("flower-superlink"),
            "--database",
            str(self.workdir / "superlink.db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--disable-runtime-dependency-installation",
        ]
        if self.tls:
            cmd += [
                "--ssl-ca-certfile",
                str(self.ca_cert),
                "--ssl-certfile",
                str(self.server_cert),
                "--ssl-keyfile",
                str(self.server_key),
            ]
        else:
            cmd += ["--insecure"]
        if self.auth:
            cmd += ["--enable-supernode-auth"]
        self._start("superlink", cmd)
        self._wait_port(self.port)

    def node_keys(self, name: str) -> tuple[Path, Path]:
        """A SuperNode's key pair (made once)."""
        private = self.keys / name
        if private.is_file():
            return private, private.with_suffix(".pub")
        return make_node_keys(self.keys, name)

    def register(self, name: str) -> str:
        """Register a SuperNode's public key with the SuperLink; return Flower's answer."""
        _, public = self.node_keys(name)
        out = subprocess.run(
            [_bin("flwr"), "supernode", "register", str(public), CONNECTION],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            raise RuntimeError(
                f"flwr supernode register {public.name} failed:\n{out.stdout}{out.stderr}"
            )
        return out.stdout

    def start_supernode(
        self,
        name: str,
        *,
        node_config: dict[str, Any],
        ca: Path | None = None,
        retries: int | None = None,
    ) -> subprocess.Popen[bytes]:
        """``flower-supernode`` with its own key and node config; ``ca`` overrides the CA."""
        private, _ = self.node_keys(name)
        cmd = [
            _bin("flower-supernode"),
            "--superlink",
            f"127.0.0.1:{self.port}",
            "--port",
            str(free_port()),
            "--node-config",
            render_run_config(node_config),
            "--auth-supernode-private-key",
            str(private),
        ]
        if self.tls:
            cmd += ["--root-certificates", str(ca or self.ca_cert)]
        else:
            cmd += ["--insecure"]
        if retries is not None:
            cmd += ["--max-retries", str(retries), "--max-wait-time", "30"]
        return self._start(name, cmd)

    def run(self, run_config: dict[str, Any], *, timeout: float = 600.0) -> str:
        """``flwr run APP fedgan-local --stream``; the run's status (``finished:completed``).

        ``flwr run`` exits 0 even when the ServerApp failed, so the SuperLink is asked.
        """
        cmd = [
            _bin("flwr"),
            "run",
            str(self.app),
            CONNECTION,
            "--stream",
            "--run-config",
            render_run_config(run_config),
        ]
        with (self.logs / "flwr-run.log").open("wb") as log:
            subprocess.run(
                cmd,
                env=self.env,
                cwd=self.app,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        status = run_status(self.run_id(), self.env, self.app, CONNECTION)
        return status or "unknown (no run id in the log)"

    def kill(self, name: str) -> None:
        """SIGKILL process ``name`` and everything it started (a crash, for fault drills)."""
        proc = self.processes[name]
        for pid in children([proc.pid]):  # the SuperLink's ServerApp process goes with it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=30)

    def run_id(self) -> str | None:
        """The id of the run ``flwr run`` last started, from its log."""
        found = re.search(r"Successfully started run (\d+)", self.log("flwr-run"))
        return found.group(1) if found else None

    def stop_run(self) -> None:
        """``flwr stop`` the run ``flwr run`` last started."""
        run_id = self.run_id()
        if run_id is not None:
            subprocess.run(
                [_bin("flwr"), "stop", run_id, CONNECTION],
                env=self.env,
                cwd=self.workdir,
                capture_output=True,
                timeout=120,
                check=False,
            )

    def stop(self) -> None:
        """Stop every process this deployment started (and their children), by PID."""
        stop(children([p.pid for p in self.processes.values()]))

    def __enter__(self) -> LocalDeployment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
