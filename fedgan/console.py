"""What a run prints: one short line per round, and the verdict at the end."""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["PREFIX", "round_line"]

PREFIX = "[fedgan]"


def round_line(
    server_round: int,
    total: int,
    metrics: Mapping[str, float],
    *,
    seconds: float,
    clients: int | None = None,
    group_names: tuple[str, ...] = (),
) -> str:
    """``[fedgan] round 12/40  held 8/8  HQ 61.2% (chance 0.3%)  minority ×0.93  5 clients  45 s``."""
    bits = [f"{PREFIX} round {server_round:>3}/{total}"]
    if "modes_held" in metrics:
        bits.append(f"held {metrics['modes_held']:.0f}/{metrics['modes']:.0f}")
    if "hq" in metrics:
        bits.append(f"HQ {100 * metrics['hq']:.1f}% (chance {100 * metrics['chance_hq']:.1f}%)")
    elif "coverage" in metrics:
        bits.append(f"coverage {metrics['coverage']:.3f}")
    for g, name in enumerate(group_names):
        ratio = metrics.get(f"group/{g}/mass_ratio")
        if g > 0 and ratio is not None and math.isfinite(ratio):
            bits.append(f"{name.split(' (')[0]} mass ×{ratio:.2f}")
    if clients is not None:
        bits.append(f"{clients} clients")
    bits.append(f"{seconds:.0f} s")
    return "  ".join(bits)
