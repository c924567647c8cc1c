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

__all__ = ["rescore"]


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


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("folder", type=Path, help="a sweep's output folder (or one run's)")
    ap.add_argument("--out", default="rescored.csv", help="file name inside the folder")
    args = ap.parse_args(argv)
    table = rescore(args.folder)
    write_csv(args.folder / args.out, table)
    print(f"[rescore] {table['run'].nunique()} runs -> {args.folder / args.out}")


if __name__ == "__main__":
    main()
