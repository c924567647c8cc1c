"""The sweep's Markdown summary: mean ± sd over seeds, infinite reverse KL called out."""

from __future__ import annotations

import re

import pandas as pd

from simulations.run import markdown_summary


def _row(seed: int, group: int, rkl: float) -> dict[str, float | int | str]:
    return {
        "variant": "v", "seed": seed, "group": group, "overall_modes": 2 * seed,
        "overall_hq": 0.01 * seed, "overall_reverse_kl": rkl, "modes_captured": seed,
        "modes": 4, "mass_ratio": 1.0,
    }  # fmt: skip


def test_infinite_reverse_kl_is_counted_not_averaged() -> None:
    rkl = {1: 0.5, 2: 1.5, 3: float("inf")}
    table = pd.DataFrame([_row(s, g, rkl[s]) for s in (1, 2, 3) for g in (0, 1)])
    md = markdown_summary(table)
    assert "1.00 ± 0.71 (1× inf)" in md  # finite runs: mean 1.0, sd √0.5
    assert "4.0 ± 2.0" in md  # modes 2, 4, 6
    assert "| v " in md and "|       3 |" in md


def test_all_infinite_reads_inf() -> None:
    table = pd.DataFrame([_row(s, 0, float("inf")) for s in (1, 2)])
    assert re.search(r"\|\s*inf\s*\|", markdown_summary(table))
