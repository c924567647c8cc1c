"""Send a round's messages and collect the replies without Flower's fixed polling sleep.

Flower's ``Grid.send_and_receive`` sleeps a fixed interval between pulls: 0.1 s in
simulation (``InMemoryGrid``) and 3 s in deployment (``HttpGrid``). A round whose replies
arrive just after a pull waits out the whole interval, which in deployment puts a floor of
3 s under every round. :func:`exchange` pulls with a wait that grows with the time already
waited (a fixed share of it, between a floor and a ceiling), so a reply is collected at
most about that share late while a long round costs few pulls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from flwr.app import Message
from flwr.serverapp import Grid

__all__ = ["exchange"]

SHARE = 0.05  # a reply is collected at most this share of the waiting time late
FLOOR_S = 0.005
CEILING_S = 1.0


def exchange(
    grid: Grid,
    messages: Iterable[Message],
    *,
    timeout: float | None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Message]:
    """Push ``messages``; pull replies until every message is answered or ``timeout`` passes.

    Parameters
    ----------
    grid : flwr.serverapp.Grid
        The ServerApp's grid (simulation or deployment).
    messages : iterable of Message
        One instruction per destination node; Flower gives each its message id.
    timeout : float or None
        Seconds to wait for replies (``None``: until every message is answered).
    clock, sleep : callable
        The time source and the wait (tests pass a simulated clock).

    Returns
    -------
    list of Message
        The replies in the order they were pulled; fewer than sent when time ran out.
    """
    pending = set(grid.push_messages(messages))
    start = clock()
    replies: list[Message] = []
    while pending:
        got = list(grid.pull_messages(pending))
        replies.extend(got)
        pending.difference_update(m.metadata.reply_to_message_id for m in got)
        waited = clock() - start
        if not pending or (timeout is not None and waited >= timeout):
            break
        wait = min(max(SHARE * waited, FLOOR_S), CEILING_S)
        if timeout is not None:
            wait = min(wait, timeout - waited)
        sleep(wait)
    return replies
