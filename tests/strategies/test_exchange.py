"""exchange(): replies collected soon after they arrive, few pulls, the timeout honoured.

A grid on a simulated clock: each message's reply (Flower's own error message) becomes
available at a set time; ``sleep`` advances the clock, so the schedule is exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pytest
from flwr.app import Message
from flwr.server.superlink.linkstate.utils import create_message_error_unavailable_ins_message
from flwr.serverapp import Grid

from strategies._exchange import CEILING_S, FLOOR_S, SHARE, exchange


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


class _TimedGrid(Grid):
    """Replies appear at ``ready_at[id]`` seconds (``inf``: never)."""

    def __init__(self, ready_at: dict[str, float], clock: _Clock) -> None:
        self.ready_at, self.clock, self.pulls, self.taken = ready_at, clock, 0, set()

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        return list(self.ready_at)

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        self.pulls += 1
        ready = [i for i in message_ids if self.clock.now >= self.ready_at[i]]
        assert not self.taken.intersection(ready), "a reply is pulled once"
        self.taken.update(ready)
        return [create_message_error_unavailable_ins_message(i, run_id=1) for i in ready]

    def set_run(self, run_id: int) -> None:  # pragma: no cover - not used
        raise NotImplementedError

    @property
    def run(self):  # type: ignore[no-untyped-def]  # pragma: no cover
        raise NotImplementedError

    def create_message(self, *args, **kwargs):  # type: ignore[no-untyped-def]  # pragma: no cover
        raise NotImplementedError

    def get_node_ids(self) -> Iterable[int]:  # pragma: no cover
        raise NotImplementedError

    def send_and_receive(self, *args, **kwargs):  # type: ignore[no-untyped-def]  # pragma: no cover
        raise NotImplementedError


def _run(ready_at: dict[str, float], timeout: float | None) -> tuple[list[Message], _Clock, int]:
    clock = _Clock()
    grid = _TimedGrid(ready_at, clock)
    replies = exchange(grid, [], timeout=timeout, clock=clock, sleep=clock.sleep)
    return replies, clock, grid.pulls


@pytest.mark.parametrize("last", [0.3, 2.0, 60.0])
def test_every_reply_is_collected_soon_after_it_arrives(last: float) -> None:
    ready = {"a": 0.0, "b": last / 2, "c": last}
    replies, clock, pulls = _run(ready, timeout=None)
    assert sorted(m.metadata.reply_to_message_id for m in replies) == ["a", "b", "c"]
    # late by at most the share of the time waited (or the floor, or the ceiling)
    assert clock.now <= last + min(max(SHARE * clock.now, FLOOR_S), CEILING_S) + 1e-9
    # pulls: waits of FLOOR_S until the share exceeds it, then growing by (1 + SHARE) a
    # pull, then one a CEILING_S; polling every FLOOR_S would pull last / FLOOR_S times
    floor_phase = (FLOOR_S / SHARE) / FLOOR_S
    growth = math.log(max(last, FLOOR_S / SHARE) / (FLOOR_S / SHARE)) / math.log(1 + SHARE)
    assert pulls <= floor_phase + growth + last / CEILING_S + 2
    assert pulls < last / FLOOR_S


def test_the_timeout_returns_what_came_and_is_not_overrun() -> None:
    replies, clock, _ = _run({"a": 1.0, "never": math.inf}, timeout=5.0)
    assert [m.metadata.reply_to_message_id for m in replies] == ["a"]
    assert clock.now == pytest.approx(5.0)  # the last wait is cut to the deadline


def test_nothing_sent_returns_at_once() -> None:
    replies, clock, pulls = _run({}, timeout=None)
    assert replies == [] and clock.now == 0.0 and pulls == 0
