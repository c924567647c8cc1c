"""The sweep's Markdown summary: mean ± sd over seeds, infinite reverse KL called out."""

from __future__ import annotations

import re

import pandas as pd

from simulations.run import markdown_summary


def _row(seed: int, group: int, rkl: float) -> dict[str, float | int | str | bool]:
    return {
        "variant": "v",
        "seed": seed,
        "group": group,
        "group_name": ["majority", "minority"][group],
        "overall_modes_held": 2 * seed,
        "overall_modes": 8,
        "overall_hq": 0.01 * seed,
        "overall_reverse_kl": rkl,
        "modes_held": seed,
        "modes": 4,
        "mass_ratio": 1.0,
        "mass_ratio_target": 1.0,
        "learned": seed > 1,
        "wall_seconds": 10.0 * seed,
    }


def test_infinite_reverse_kl_is_counted_not_averaged() -> None:
    rkl = {1: 0.5, 2: 1.5, 3: float("inf")}
    table = pd.DataFrame([_row(s, g, rkl[s]) for s in (1, 2, 3) for g in (0, 1)])
    md = markdown_summary(table)
    assert "1.00 ± 0.71 (1× inf)" in md  # finite runs: mean 1.0, sd √0.5
    assert "4.0 ± 2.0" in md  # modes held 2, 4, 6
    assert "| v " in md and "|       3 |" in md and "2/3" in md  # learned in 2 of 3 seeds
    assert "minority: mass vs real" in md and "mass vs target" not in md
    assert "20 ± 10" in md  # wall seconds


def test_all_infinite_reads_inf() -> None:
    table = pd.DataFrame([_row(s, 0, float("inf")) for s in (1, 2)])
    assert re.search(r"\|\s*inf\s*\|", markdown_summary(table))
