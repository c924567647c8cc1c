"""End a ``flwr run`` whose simulation process died while the run was still going.

When the ``flwr-simulation`` process (the ServerApp and the ClientApps of a local run) is
killed or crashes, Flower notices only when its heartbeat lapses, a minute or more later,
and ``flwr run`` streams nothing until then. :class:`SimulationWatch` sees the process go,
waits a grace period in case the run was ending anyway, asks the SuperLink, and stops the
whole ``flwr run`` tree if the run is still marked as going; the caller then reports the
run as stopped (with its checkpoint, for ``resume = true``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulations._processes import children, cmdline

__all__ = ["SimulationWatch"]

SIMULATION = "flwr-simulation"


class SimulationWatch(threading.Thread):
    """Watch the ``flwr-simulation`` process under ``proc``; stop ``proc`` if it dies early.

    Parameters
    ----------
    proc : subprocess.Popen
        The ``flwr run`` process (its descendants include the SuperLink and the simulation).
    still_running : callable
        Asked once, when the simulation process has been gone for ``grace`` seconds:
        ``True`` when the SuperLink still marks the run as going (then the tree is
        stopped); after the answer the watch ends either way.
    poll, grace : float
        Seconds between looks, and how long the process must stay gone.
    marker : str
        What the simulation process's command line holds.
    """

    def __init__(
        self,
        proc: subprocess.Popen[Any],
        *,
        still_running: Callable[[], bool],
        poll: float = 2.0,
        grace: float = 10.0,
        marker: str = SIMULATION,
    ) -> None:
        super().__init__(daemon=True, name="fedgan-simulation-watch")
        self.proc, self.still_running = proc, still_running
        self.poll, self.grace, self.marker = poll, grace, marker
        self.fired = False
        self._done = threading.Event()

    def _simulation_alive(self) -> bool:
        return any(
            self.marker in cmdline(pid) for pid in children([self.proc.pid]) if pid != self.proc.pid
        )

    def run(self) -> None:
        if not Path("/proc").is_dir():  # processes are found through /proc (Linux); else no watch
            return
        seen, gone_since = False, None
        while self.proc.poll() is None and not self._done.wait(self.poll):
            if self._simulation_alive():
                seen, gone_since = True, None
                continue
            if not seen:
                continue
            gone_since = gone_since or time.monotonic()
            if time.monotonic() - gone_since >= self.grace:
                if self.still_running():  # else the run ended (or cannot tell): leave it be
                    self.fired = True
                    self._kill_tree()
                return

    def _kill_tree(self) -> None:
        for pid in children([self.proc.pid]):
            if pid != self.proc.pid:  # Popen reaps its own child; waitpid here would race it
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc.kill()

    def close(self) -> None:
        """Stop watching (the run has ended)."""
        self._done.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=self.poll + 5)
