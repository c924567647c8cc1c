"""The verdict says plainly whether a run learned, against chance, real data and a reference."""

from __future__ import annotations

import pandas as pd

from fedgan.evaluation import verdict


def _table(hq: float, ratio1: float, held: int = 8, last: int = 10) -> pd.DataFrame:
    rows = []
    for rnd in (0, last):
        for g, name in ((0, "majority"), (1, "minority (modes 0, 1)")):
            rows.append(
                {
                    "round": rnd,
                    "group": g,
                    "group_name": name,
                    "modes": 6 if g == 0 else 2,
                    "modes_held": 6 if g == 0 else 2,
                    "real_share": 0.95 if g == 0 else 0.05,
                    "target_share": 0.95 if g == 0 else 0.05,
                    "mass_ratio": 1.0 if g == 0 else ratio1,
                    "mass_ratio_target": 1.0 if g == 0 else ratio1,
                    "notes": "",
                    "overall_hq": hq if rnd else 0.0,
                    "overall_chance_hq": 0.003,
                    "overall_modes": 8,
                    "overall_modes_held": held,
                    "overall_modes_captured": 8,
                    "overall_notes": "",
                }
            )
    return pd.DataFrame(rows)


def test_learned_and_not_learned() -> None:
    good = verdict(_table(0.95, 1.02), title="t")
    assert good.learned and "LEARNED: high-quality share 95.0%" in good.text()
    assert "8 of 8 held" in good.text() and "0.3%" in good.text()
    bad = verdict(_table(0.02, 0.0, held=1), title="t")
    assert not bad.learned and "NOT LEARNED" in bad.text()
    assert "minority (modes 0, 1): 2/2 modes held, mass 0.00×" in bad.text()
    assert bad.facts["round"] == 10 and bad.facts["group/1/mass_ratio"] == 0.0


def test_the_bar_is_halfway_from_chance_to_real() -> None:
    assert verdict(_table(0.50, 1.0), title="t").learned
    assert not verdict(_table(0.49, 1.0), title="t").learned


def test_reference_is_compared_or_its_absence_said() -> None:
    assert "No centralised reference" in verdict(_table(0.9, 1.0), title="t").text()
    v = verdict(_table(0.9, 1.0), title="t", reference=_table(0.8, 0.4))
    assert (
        "Centralised reference: high-quality share 80.0%" in v.text() and "mass 0.40×" in v.text()
    )
    assert v.facts["reference_value"] == 0.8


def test_each_groups_pull_on_the_shared_generator_is_printed_when_measured() -> None:
    table = _table(0.95, 1.02)
    assert "pull" not in verdict(table, title="t").text()  # designs that do not measure it
    table["generator_pull"] = [0.7 if g == 0 else 0.3 for g in table["group"]]
    text = verdict(table, title="t").text()
    assert "majority: 6/6 modes held, mass 1.00× its real share 0.950, pull 0.70" in text
    assert "pull 0.30 of the shared generator's gradient" in text


def test_a_sampled_federations_pull_is_also_given_as_its_mean_over_the_run() -> None:
    # Round 0: the minority pulls 0.4; round 10: no minority client drawn, so it pulls 0.
    table = _table(0.95, 1.02)
    table["generator_pull"] = [
        (0.6, 0.4)[g] if r == 0 else (1.0, 0.0)[g] for r, g in zip(table["round"], table["group"])
    ]
    v = verdict(table, title="t")
    assert (
        "pull 0.00 of the shared generator's gradient at its last step "
        "(0.20 on average over 2 evaluated rounds)" in v.text()
    )
    assert (
        "pull 1.00 of the shared generator's gradient at its last step (0.80 on average" in v.text()
    )
    assert v.facts["group/1/pull"] == 0.0
    table.loc[table["round"] == 0, "generator_pull"] = float("nan")  # not measured at round 0
    assert "(0.20 on average" not in verdict(table, title="t").text()
