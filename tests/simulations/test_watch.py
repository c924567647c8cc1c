"""SimulationWatch with real processes: a parent whose 'flwr-simulation' child is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from simulations._processes import children
from simulations._watch import SimulationWatch

# A parent that starts a child whose command line holds the marker, then waits forever.
PARENT = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', 'flwr-simulation']); "
    "print('started', flush=True); time.sleep(120)"
)


def _start() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        kids = [p for p in children([proc.pid]) if p != proc.pid]
        if kids:
            return proc, kids[0]
        time.sleep(0.1)
    raise AssertionError("the child did not start")


@pytest.mark.parametrize("going", [True, False])
def test_a_dead_simulation_stops_the_run_only_while_the_superlink_says_it_is_going(
    going: bool,
) -> None:
    proc, child = _start()
    asked: list[float] = []

    def still_running() -> bool:
        asked.append(time.monotonic())
        return going

    watch = SimulationWatch(proc, still_running=still_running, poll=0.1, grace=0.5)
    watch.start()
    try:
        time.sleep(0.5)
        assert proc.poll() is None and not asked  # the simulation lives: nothing asked
        killed = time.monotonic()
        os.kill(child, signal.SIGKILL)
        watch.join(timeout=10)
        assert not watch.is_alive()
        assert len(asked) == 1 and asked[0] - killed >= 0.5  # after the grace, once
        assert watch.fired is going
        if going:
            assert proc.wait(timeout=10) == -signal.SIGKILL
        else:
            assert proc.poll() is None  # a run that ended is not the watch's to stop
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_close_ends_the_watch_before_any_simulation_appears() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    watch = SimulationWatch(proc, still_running=lambda: True, poll=0.1, grace=0.1)
    watch.start()
    try:
        time.sleep(0.4)
        watch.close()
        assert not watch.is_alive() and not watch.fired and proc.poll() is None
    finally:
        proc.kill()
        proc.wait(timeout=10)
