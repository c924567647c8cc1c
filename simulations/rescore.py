"""Score the released samples of finished runs again, with today's scoring code.

    python -m simulations.rescore results/arrests-colour [--out rescored.csv]

Every run folder under the given folder that holds ``samples.csv`` and ``config.json``
(a sweep's ``<label>/seed<k>``) is scored from the samples it released: tables are read
back as records and encoded (integers rounded, categories one-hot: what a user gets),
other data as written. The scenario is rebuilt from the recorded ``scenario-spec``, so
held-out rows and seeds are the run's own. One row per run × group goes to
``rescored.csv`` in that folder (overall numbers as ``overall_*`` columns), written at
once; nothing in the run folders changes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from fedgan._io import write_csv
from fedgan.data import Scenario, load_scenario, scenario_spec
from fedgan.evaluation import score_samples

__all__ = ["rescore", "table_summary"]


def _scenario(config: dict) -> Scenario:
    spec = dict(config["scenario-spec"])
    spec.pop("dataset")
    spec["minority_modes"] = tuple(spec["minority_modes"])
    return load_scenario(scenario_spec(config["scenario"], **spec), name=config["scenario"])


def _released(scenario: Scenario, samples: pd.DataFrame) -> np.ndarray:
    if scenario.kind == "tabular":
        return scenario.encoder.encode(samples).astype(np.float64)
    return samples.to_numpy(np.float64)


def rescore(folder: Path) -> pd.DataFrame:
    """One row per run × group for every finished run under ``folder``.

    Raises
    ------
    FileNotFoundError
        When no run folder under ``folder`` holds both ``samples.csv`` and ``config.json``.
    """
    frames = []
    runs = sorted(p.parent for p in Path(folder).rglob("samples.csv"))
    for run in runs:
        if not (run / "config.json").is_file():
            continue
        config = json.loads((run / "config.json").read_text())
        scenario = _scenario(config)
        x = _released(scenario, pd.read_csv(run / "samples.csv", keep_default_na=False))
        score = score_samples(scenario, x, seed=int(config["seed"]))
        table = score.per_group.reset_index()
        table.insert(0, "run", str(run.relative_to(folder)))
        table.insert(1, "seed", int(config["seed"]))
        for key, value in score.overall.items():
            table[f"overall_{key}"] = value
        table["notes"] = "; ".join(f"{k}: {v}" for k, v in score.notes.items())
        frames.append(table)
    if not frames:
        raise FileNotFoundError(f"no run folder under {folder} holds samples.csv and config.json")
    return pd.concat(frames, ignore_index=True)


def table_summary(table: pd.DataFrame, folder: Path) -> str:
    """Markdown: one row per variant of a tables sweep, mean ± sd over its seeds.

    Learned is judged as the verdict does (coverage and TSTR AUC halfway); the minority's
    accuracy gap is the majority's TSTR accuracy minus the minority's (train on real beside).
    """
    rows = []
    for run, r in table.groupby("run", sort=True):
        g = r.set_index("group")
        o = r.iloc[0]
        cov_bar = o.overall_chance_coverage + 0.5 * (
            o.overall_real_coverage - o.overall_chance_coverage
        )
        auc_bar = 0.5 + 0.5 * (o.overall_trtr_auc - 0.5)
        timing = folder / str(run) / "timing.json"
        rows.append(
            {
                "variant": str(run).split("/")[0],
                "learned": bool(o.overall_coverage >= cov_bar and o.overall_tstr_auc >= auc_bar),
                "quality": o.overall_quality,
                "pair trends": o.overall_quality_column_pair_trends,
                "TSTR AUC": o.overall_tstr_auc,
                "TRTR AUC": o.overall_trtr_auc,
                "minority acc gap": g.loc[0, "tstr_accuracy"] - g.loc[1, "tstr_accuracy"],
                "TRTR gap": g.loc[0, "trtr_accuracy"] - g.loc[1, "trtr_accuracy"],
                "minority mass": g.loc[1, "mass_ratio"],
                "DCR ratio": o.overall_dcr_ratio,
                "wall s": json.loads(timing.read_text())["wall-seconds"]
                if timing.is_file()
                else np.nan,
            }
        )
    frame = pd.DataFrame(rows)
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + " --- |" * len(frame.columns)]
    for variant, v in frame.groupby("variant", sort=True):
        cells = [variant, f"{int(v['learned'].sum())}/{len(v)}"]
        for col in frame.columns[2:]:
            digits = 0 if col == "wall s" else 3
            cells.append(f"{v[col].mean():.{digits}f} ± {v[col].std(ddof=1):.{digits}f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("folder", type=Path, help="a sweep's output folder (or one run's)")
    ap.add_argument("--out", default="rescored.csv", help="file name inside the folder")
    ap.add_argument(
        "--summary", action="store_true", help="print a markdown table per variant (tables)"
    )
    args = ap.parse_args(argv)
    table = rescore(args.folder)
    write_csv(args.folder / args.out, table)
    print(f"[rescore] {table['run'].nunique()} runs -> {args.folder / args.out}")
    if args.summary:
        print(table_summary(table, args.folder))


if __name__ == "__main__":
    main()
