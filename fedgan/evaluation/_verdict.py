"""The run's verdict: did it learn, which modes and groups it holds, against what.

"Learned" is judged against two anchors the scenario gives: what a structureless
sample scores (chance) and what real data scores. For mixtures the measure is the
high-quality share (a sample within 3 sd of a mode; real 2-D data scores
``1 − e^{−4.5}`` = 98.9%); for images and tables it is the coverage of real rows
(Naeem et al. 2020). A run learned when it is at least halfway from chance to real.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Verdict", "verdict"]

_REAL_HQ_2D = 1.0 - math.exp(-4.5)  # P(‖N(0, I₂)‖ ≤ 3)


@dataclass
class Verdict:
    """Plain-language verdict and the numbers behind it.

    Attributes
    ----------
    learned : bool
        Whether the run is at least halfway from chance to real data.
    lines : list of str
        The verdict as printed and written to ``verdict.txt``.
    facts : dict
        The numbers (for ``verdict.json`` and for sweeps).
    """

    learned: bool
    lines: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The lines, joined."""
        return "\n".join(self.lines)


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{100 * x:.1f}%"


def _final(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["round"] == table["round"].max()].set_index("group")


def _pull(table: pd.DataFrame, group: Any, last: float) -> str:
    """A group's share of the shared generator's gradient, with its mean over the run.

    With sampled clients one step's share depends on which clients that round drew (a
    group none of them holds pulls 0), so the mean over every evaluated round is given too.
    """
    pulls = table.loc[table["group"] == group, "generator_pull"].dropna()
    text = f"pull {last:.2f} of the shared generator's gradient"
    if len(pulls) > 1:
        text += (
            f" at its last step ({pulls.mean():.2f} on average over {len(pulls)} evaluated rounds)"
        )
    return text + ","


def _measure(last: pd.DataFrame) -> tuple[str, float, float, float]:
    """Name, value, chance and real anchors of the learning measure."""
    first = last.iloc[0]
    if "overall_hq" in last:  # images carry their own real anchor (held-out digits)
        real = first["overall_real_hq"] if "overall_real_hq" in last else _REAL_HQ_2D
        return "high-quality share", first["overall_hq"], first["overall_chance_hq"], real
    return (
        "coverage of real rows",
        first["overall_coverage"],
        first.get("overall_chance_coverage", float("nan")),
        first.get("overall_real_coverage", 1.0),
    )


def _tstr_bar(first: pd.Series) -> tuple[bool, dict[str, Any], str]:
    """TSTR AUC at least halfway from the majority-class baseline (0.5) to train-on-real's."""
    auc, ref = float(first["overall_tstr_auc"]), float(first["overall_trtr_auc"])
    bar = 0.5 + 0.5 * (ref - 0.5)
    value = f"{auc:.3f}" if np.isfinite(auc) else "not computed (below)"
    line = (
        f"train-on-synthetic AUC {value} on held-out records (train-on-real {ref:.3f}, "
        f"majority class 0.500; learned means at least {bar:.3f})"
    )
    return bool(np.isfinite(auc) and auc >= bar), {"tstr_auc": auc, "trtr_auc": ref}, line


def _table_lines(first: pd.Series, facts: dict[str, Any]) -> list[str]:
    """Quality and privacy lines of a table run (stated, not part of "learned")."""
    out = []
    if pd.notna(first.get("overall_quality")):
        q = {
            k: float(first[f"overall_{k}"])
            for k in ("quality", "quality_column_shapes", "quality_column_pair_trends")
        }
        facts |= q
        out.append(
            f"  SDMetrics quality {q['quality']:.3f} (column shapes "
            f"{q['quality_column_shapes']:.3f}, column-pair trends "
            f"{q['quality_column_pair_trends']:.3f}); 1 is the real table's own."
        )
    if pd.notna(first.get("overall_dcr_ratio")):
        ratio = float(first["overall_dcr_ratio"])
        facts["dcr_ratio"] = ratio
        flag = "" if ratio >= 0.9 else " CLOSER TO THE TRAINING ROWS THAN FRESH DATA IS (< 0.9)."
        out.append(
            f"  Distance to the closest training record: {ratio:.2f}× that of held-out real "
            f"rows; {_pct(float(first['overall_dcr_copies']))} of rows copy a training row "
            f"(held-out: {_pct(float(first['overall_dcr_holdout_copies']))}).{flag}"
        )
    return out


def verdict(
    table: pd.DataFrame,
    *,
    title: str,
    reference: pd.DataFrame | None = None,
    reference_name: str = "centralised reference",
) -> Verdict:
    """Judge a run from its metrics table (the last evaluated round).

    Parameters
    ----------
    table : pandas.DataFrame
        ``metrics.csv`` of the run.
    title : str
        First line (scenario, design, round).
    reference : pandas.DataFrame, optional
        ``metrics.csv`` of a centralised reference run on the same scenario.
    reference_name : str
        How to call the reference.

    Returns
    -------
    Verdict
    """
    last = _final(table)
    name, value, chance, real = _measure(last)
    bar = chance + 0.5 * (real - chance) if np.isfinite(chance) else 0.5 * real
    learned = bool(np.isfinite(value) and value >= bar)
    first = last.iloc[0]
    facts: dict[str, Any] = {
        "round": int(table["round"].max()),
        "learned": learned,
        "measure": name,
        "value": value,
        "chance": chance,
        "real": real,
        "bar": bar,
    }
    detail = [
        f"{name} {_pct(value)} (chance {_pct(chance)}, real data {_pct(real)}; "
        f"learned means at least {_pct(bar)})"
    ]
    if "overall_fd" in last:  # images: the Fréchet distance must be halfway down as well
        fd, floor, noise = (float(first[f"overall_{k}"]) for k in ("fd", "fd_floor", "fd_noise"))
        fd_bar = floor + 0.5 * (noise - floor)
        learned = learned and bool(np.isfinite(fd) and fd <= fd_bar)
        facts |= {
            "fd": fd,
            "fd_floor": floor,
            "fd_noise": noise,
            "fd_bar": fd_bar,
            "learned": learned,
        }
        detail.append(
            f"Fréchet distance {fd:.2f} (real held-out {floor:.2f}, noise {noise:.2f}; "
            f"learned means at most {fd_bar:.2f})"
        )
        if "overall_kid" in last:  # runs scored before the kernel distance have none
            kid = {k: float(first[f"overall_{k}"]) for k in ("kid", "kid_floor", "kid_noise")}
            facts |= kid
            detail.append(
                f"kernel distance {kid['kid']:.3g} (real held-out {kid['kid_floor']:.3g}, "
                f"noise {kid['kid_noise']:.3g})"
            )
    if "overall_tstr_auc" in last:  # tables: a classifier trained on them must be useful too
        ok, fact, line = _tstr_bar(first)
        learned = learned and ok
        facts |= fact | {"learned": learned}
        detail.append(line)
    lines = [title, f"  {'LEARNED' if learned else 'NOT LEARNED'}: " + "; ".join(detail) + "."]
    lines += _table_lines(first, facts)
    if "overall_modes_held" in last and pd.notna(first.get("overall_modes_held")):
        held, cap, modes = (
            int(first[f"overall_{k}"]) for k in ("modes_held", "modes_captured", "modes")
        )
        facts |= {"modes_held": held, "modes_captured": cap, "modes": modes}
        lines.append(
            f"  Modes: {held} of {modes} held (each with at least 20% of its real mass); "
            f"{cap} of {modes} captured (at least one high-quality sample, the count PacGAN reports)."
        )
    for g, r in last.iterrows():
        part = [f"  {r.get('group_name', f'group {g}')}:"]
        if pd.notna(r.get("modes_held")):
            part.append(f"{int(r['modes_held'])}/{int(r['modes'])} modes held,")
        ratio, real_share = r.get("mass_ratio", float("nan")), r.get("real_share", float("nan"))
        part.append(f"mass {ratio:.2f}× its real share {real_share:.3f},")
        if pd.notna(r.get("target_share")) and not math.isclose(
            r["target_share"], real_share, rel_tol=0.05
        ):
            part.append(f"({r['mass_ratio_target']:.2f}× the target {r['target_share']:.3f}),")
        if pd.notna(r.get("tstr_accuracy")) and pd.notna(r.get("trtr_accuracy")):
            part.append(
                f"TSTR accuracy {r['tstr_accuracy']:.3f} / AUC {r['tstr_auc']:.3f} "
                f"(train-on-real {r['trtr_accuracy']:.3f} / {r['trtr_auc']:.3f}),"
            )
        for key, label, fmt in (("intra_fd", "intra-FD", ".2f"), ("intra_kid", "intra-KID", ".3g")):
            if pd.notna(r.get(key)):  # images; the real rows' own score beside it
                part.append(f"{label} {r[key]:{fmt}} (real {r.get(f'{key}_floor', np.nan):{fmt}}),")
                facts[f"group/{g}/{key}"] = float(r[key])
        if pd.notna(r.get("generator_pull")):  # the server-trained generator's last step
            part.append(_pull(table, g, float(r["generator_pull"])))
            facts[f"group/{g}/pull"] = float(r["generator_pull"])
        if pd.notna(r.get("quality")):
            part.append(f"quality {r['quality']:.3f},")
        if isinstance(r.get("notes"), str) and r["notes"]:
            part.append(f"[{r['notes']}]")
        lines.append(" ".join(part).rstrip(",") + ".")
        facts[f"group/{g}/mass_ratio"] = float(ratio)
        if pd.notna(r.get("modes_held")):
            facts[f"group/{g}/modes_held"] = int(r["modes_held"])
    # Never print LEARNED beside an off-target mass without saying so (against the share
    # the run was asked for: the real one unless target-share is set).
    ratio_col = "mass_ratio_target" if "mass_ratio_target" in last else "mass_ratio"
    off = [
        f"{r.get('group_name', f'group {g}')} {r[ratio_col]:.2f}×"
        for g, r in last.iterrows()
        if pd.notna(r.get(ratio_col)) and not 0.8 <= r[ratio_col] <= 1.25
    ]
    if off:
        lines.append(f"  Off target: mass {', '.join(off)} its asked-for share (target 0.8–1.25×).")
    facts["mass_off_target"] = off
    if isinstance(first.get("overall_notes"), str) and first["overall_notes"]:
        lines.append(f"  Not computed: {first['overall_notes']}.")
    if reference is None:
        lines.append(f"  No {reference_name} given to compare with.")
    else:
        ref = _final(reference)
        _, rv, _, _ = _measure(ref)
        rfirst = ref.iloc[0]
        bits = [f"{name} {_pct(rv)}"]
        if "overall_modes_held" in ref:
            bits.append(
                f"{int(rfirst['overall_modes_held'])}/{int(rfirst['overall_modes'])} modes held"
            )
        for g, r in ref.iterrows():
            if g in last.index and g != last.index[0]:
                bits.append(f"{r.get('group_name', g)} mass {r['mass_ratio']:.2f}×")
        lines.append(f"  {reference_name.capitalize()}: " + ", ".join(bits) + ".")
        facts["reference_value"] = rv
    return Verdict(learned=learned, lines=lines, facts=facts)
