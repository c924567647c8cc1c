"""Run a sweep file: every variant × seed through ``flwr run`` (or centralised).

    python -m simulations.run simulations/scenarios/headline.toml [--out results/headline]

A sweep file names ``num-supernodes``, ``seeds``, a ``[base]`` run config and
``[[variants]]`` (each a ``label``, optional ``mode = "centralised"`` and run-config
overrides). Every run writes its own folder ``OUT/<label>/seed<k>``; the last round
of each is gathered into ``OUT/results.csv`` (one row per run × group, settings as
columns) and ``OUT/summary.csv`` (mean and sd over seeds). Runs already complete
are reused, so an interrupted sweep resumes.
"""

from __future__ import annotations

import argparse
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fedgan._io import write_csv
from fedgan.config import RunConfig, RunConfigError
from simulations.centralised import run_centralised
from simulations.flower import ROOT, run_flower

__all__ = ["load_sweep", "markdown_summary", "run_sweep", "summarise"]

SUMMARY_COLUMNS = (
    "overall_modes",
    "overall_hq",
    "overall_reverse_kl",
    "modes_captured",
    "mass_ratio",
    "hq_fraction",
    "coverage",
)


def load_sweep(path: Path) -> dict[str, Any]:
    """Read and validate a sweep file; every run config is checked before anything runs."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"sweep file {path} does not exist")
    sweep = tomllib.loads(path.read_text())
    for key in ("name", "seeds", "variants"):
        if key not in sweep:
            raise ValueError(f"sweep file {path}: missing key {key!r}")
    if not sweep["variants"] or not all("label" in v for v in sweep["variants"]):
        raise ValueError(f"sweep file {path}: every [[variants]] entry needs a label")
    for v in sweep["variants"]:
        if v.get("mode", "federated") not in ("federated", "centralised"):
            raise ValueError(
                f"sweep file {path}: variant {v['label']!r} mode must be 'federated' or 'centralised'"
            )
        for seed in sweep["seeds"]:
            try:
                RunConfig.from_mapping(_settings(sweep, v, seed))
            except RunConfigError as err:
                raise ValueError(f"sweep file {path}: variant {v['label']!r}: {err}") from None
    return sweep


def _settings(sweep: dict[str, Any], variant: dict[str, Any], seed: int) -> dict[str, Any]:
    extra = {k: v for k, v in variant.items() if k not in ("label", "mode")}
    return {**sweep.get("base", {}), **extra, "seed": seed}


def run_sweep(path: Path, out: Path, *, timeout: float = 1800.0) -> pd.DataFrame:
    """Run every variant × seed not yet complete under ``out``; return the gathered table."""
    sweep = load_sweep(path)
    jobs = [(v, s) for v in sweep["variants"] for s in sweep["seeds"]]
    t0 = time.perf_counter()
    for i, (variant, seed) in enumerate(jobs, 1):
        run_dir = out / variant["label"] / f"seed{seed}"
        settings = _settings(sweep, variant, seed) | {"output-dir": str(run_dir.resolve())}
        done = (run_dir / "metrics.csv").is_file() and (run_dir / "generator.pt").is_file()
        print(f"[sweep] {i}/{len(jobs)} {variant['label']} seed={seed}" + (" (done, reused)" if done else "")
              + f"  elapsed {time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
        if done:
            continue
        if variant.get("mode") == "centralised":
            run_centralised(RunConfig.from_mapping(settings), verbose=False)
        else:
            rc = run_flower(run_config=settings, num_supernodes=int(sweep.get("num-supernodes", 10)),
                            num_cpus=1, timeout=timeout, home=out / ".flwr" / f"{variant['label']}-{seed}")  # fmt: skip
            if rc != 0:
                raise RuntimeError(
                    f"run {variant['label']} seed={seed} failed with exit status {rc}"
                )
    table = gather(sweep, out)
    write_csv(out / "results.csv", table)
    write_csv(out / "summary.csv", summarise(table))
    return table


def gather(sweep: dict[str, Any], out: Path) -> pd.DataFrame:
    """Last-round rows of every run, with the run's settings as columns."""
    frames = []
    for v in sweep["variants"]:
        for seed in sweep["seeds"]:
            m = pd.read_csv(out / v["label"] / f"seed{seed}" / "metrics.csv")
            last = m[m["round"] == m["round"].max()].copy()
            last.insert(0, "variant", v["label"])
            last.insert(1, "seed", seed)
            for k, val in _settings(sweep, v, seed).items():
                if k != "seed":
                    last[f"setting_{k}"] = val
            last["setting_mode"] = v.get("mode", "federated")
            frames.append(last)
    return pd.concat(frames, ignore_index=True)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over seeds per variant × group for the headline columns."""
    cols = [c for c in SUMMARY_COLUMNS if c in table]
    agg = table.groupby(["variant", "group"])[cols].agg(["mean", "std"])
    agg.columns = [f"{c}_{s}" for c, s in agg.columns]
    return agg.reset_index()


def markdown_summary(table: pd.DataFrame) -> str:
    """Mean ± sd over seeds per variant: overall coverage and each group's modes and mass."""

    def ms(values: pd.Series, fmt: str = "{:.2f}") -> str:
        # A run with no HQ sample has an infinite reverse KL: summarise the finite ones, say so.
        finite = values[np.isfinite(values)]
        if finite.empty:
            return "inf"
        sd = finite.std(ddof=1) if len(finite) > 1 else float("nan")
        text = f"{fmt.format(finite.mean())} ± {fmt.format(sd)}"
        return text if len(finite) == len(values) else f"{text} ({len(values) - len(finite)}× inf)"

    rows = []
    for variant, part in table.groupby("variant", sort=False):
        runs = part.drop_duplicates("seed")
        row = {"variant": variant, "seeds": len(runs)}
        if "overall_modes" in part:
            row |= {
                "modes captured": ms(runs["overall_modes"], "{:.1f}"),
                "HQ %": ms(100 * runs["overall_hq"], "{:.1f}"),
                "reverse KL": ms(runs["overall_reverse_kl"]),
            }
        for g, gpart in part.groupby("group"):
            if "modes_captured" in gpart:
                row[f"group {g} modes (of {int(gpart['modes'].iloc[0])})"] = ms(
                    gpart["modes_captured"], "{:.1f}"
                )
            row[f"group {g} mass ratio"] = ms(gpart["mass_ratio"])
        rows.append(row)
    return pd.DataFrame(rows).to_markdown(index=False)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("sweep", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="default: results/<sweep name>")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per federated run")
    args = ap.parse_args(argv)
    sweep = load_sweep(args.sweep)
    out = args.out or ROOT / "results" / sweep["name"]
    table = run_sweep(args.sweep, out, timeout=args.timeout)
    print(markdown_summary(table))
    print(f"[sweep] results in {out.resolve()}")


if __name__ == "__main__":
    main()
