"""How far one client's declared row counts may move the federation.

The server cannot see a client's rows; it knows only the group counts each client declares
when it joins and reports with every reply. Those counts set the asked-for mixture ``π``
(the pooled group shares), the sampling probability of each source and the aggregation
weights, so an unchecked declaration of 10⁶ minority rows would hand one client the whole
sampled mixture. Two rules bound it:

* **A cap at the handshake.** No client's count for any group may exceed ``cap`` times the
  median client's declared total. One client (or any minority of clients) cannot move the
  median, so a single liar adds at most ``cap × median`` rows to a group's pooled count.
* **Counts follow what a client trains on.** Every accepted reply reports the rows the
  client trained on; the server keeps the smaller of that and the declaration, so a client
  that declared more than it then uses is brought down to what it uses after its first round.

What the rules do not stop: a client that inflates both its declaration and every reply up
to the cap, and an honest client more than ``cap`` times larger than the median one (its
counts are capped too: raise ``declared-rows-cap`` for federations of very unequal sizes).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["bound_declarations", "follow_reports"]


def bound_declarations(
    declared: Mapping[int, np.ndarray], *, cap: float
) -> tuple[dict[int, np.ndarray], list[int]]:
    """Cap every client's declared group counts at ``cap`` × the median declared total.

    Parameters
    ----------
    declared : mapping of int to np.ndarray
        Partition id → that client's declared rows per group (``[G]``).
    cap : float
        The factor; ``0`` turns the cap off.

    Returns
    -------
    dict of int to np.ndarray
        The bounded counts (new arrays; the input is left as it is).
    list of int
        Partition ids whose declaration was cut, in order.

    Raises
    ------
    ValueError
        If a count is negative or not finite, or ``cap`` is negative.
    """
    if cap < 0:
        raise ValueError(f"cap must be >= 0 (0: off), got {cap}")
    out = {int(k): np.asarray(v, dtype=np.float64).copy() for k, v in declared.items()}
    for pid, counts in out.items():
        if not np.isfinite(counts).all() or (counts < 0).any():
            raise ValueError(
                f"partition {pid} declared group counts {counts.tolist()}: "
                "each must be a finite number >= 0"
            )
    if cap == 0 or not out:
        return out, []
    limit = cap * float(np.median([c.sum() for c in out.values()]))
    cut = sorted(pid for pid, c in out.items() if (c > limit).any())
    for pid in cut:
        out[pid] = np.minimum(out[pid], limit)
    return out, cut


def follow_reports(declared: np.ndarray, reported: np.ndarray) -> np.ndarray:
    """The counts to keep for a client after an accepted reply: the smaller of the two."""
    return np.minimum(np.asarray(declared, np.float64), np.asarray(reported, np.float64))
