"""Run a sweep file: every variant × seed through ``flwr run`` (or centralised, or in process).

    python -m simulations.run simulations/scenarios/ring.toml [--out results/ring]

A sweep file names ``num-supernodes``, ``seeds``, a ``[base]`` run config and
``[[variants]]`` (each a ``label``, optional ``mode`` = ``federated`` (default, through
``flwr run``), ``in-process`` (the same federation without Flower), ``centralised`` or,
for tables, ``ctgan`` (simulations/ctgan_anchor.py), and run-config overrides). Every run writes its own folder ``OUT/<label>/seed<k>``;
centralised variants run first, and every other run's verdict compares with the
centralised run of its seed. The last evaluated round of each run is gathered into
``OUT/results.csv`` (one row per run × group, settings and wall time as columns) and
``OUT/summary.csv`` (mean and sd over seeds). A finished run is reused only when its
recorded settings' fingerprint matches, so an interrupted sweep resumes and a changed
sweep reruns what changed.
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fedgan._io import write_csv, write_json
from fedgan.config import RunConfig, RunConfigError
from fedgan.results import config_fingerprint
from fedgan.training import use_cpus
from simulations._cli import add_cpus_option, add_workers_option
from simulations.centralised import run_centralised
from simulations.flower import ROOT, run_flower

__all__ = ["gather", "load_sweep", "markdown_summary", "run_sweep", "summarise"]

MODES = ("federated", "in-process", "centralised", "ctgan")
SUMMARY_COLUMNS = (
    "overall_modes_held",
    "overall_modes_captured",
    "overall_hq",
    "overall_reverse_kl",
    "modes_held",
    "mass_ratio",
    "mass_ratio_target",
    "hq_fraction",
    "coverage",
    "wall_seconds",
)


def load_sweep(
    path: Path, *, seeds: Sequence[int] | None = None, only: Sequence[str] | None = None
) -> dict[str, Any]:
    """Read and validate a sweep file; every run config is checked before anything runs.

    ``seeds``, when given, replaces the file's seeds (e.g. one seed of an expensive sweep);
    ``only`` keeps the variants with these labels (an unknown label is refused).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"sweep file {path} does not exist")
    sweep = tomllib.loads(path.read_text())
    if seeds is not None:
        if not seeds or not all(isinstance(s, int) and s >= 0 for s in seeds):
            raise ValueError(f"seeds must be a non-empty list of integers >= 0, got {seeds!r}")
        sweep["seeds"] = list(seeds)
    for key in ("name", "seeds", "variants"):
        if key not in sweep:
            raise ValueError(f"sweep file {path}: missing key {key!r}")
    if not sweep["variants"] or not all("label" in v for v in sweep["variants"]):
        raise ValueError(f"sweep file {path}: every [[variants]] entry needs a label")
    if only is not None:
        labels = [v["label"] for v in sweep["variants"]]
        unknown = sorted(set(only) - set(labels))
        if unknown or not only:
            raise ValueError(f"only: unknown variant(s) {unknown}; the sweep has {labels}")
        sweep["variants"] = [v for v in sweep["variants"] if v["label"] in only]
    for v in sweep["variants"]:
        if v.get("mode", "federated") not in MODES:
            raise ValueError(
                f"sweep file {path}: variant {v['label']!r} mode must be one of {list(MODES)}"
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


def _finished(run_dir: Path, settings: dict[str, Any]) -> bool:
    """Whether ``run_dir`` holds a finished sweep run of exactly these settings.

    The run records resolved values in ``config.json`` (e.g. ``num-partitions = 0`` becomes the
    node count), so the request is compared with what the sweep stored in ``timing.json`` when
    the run finished, and ``config.json`` must still be the file that run wrote.
    """
    cfg, timing = run_dir / "config.json", run_dir / "timing.json"
    if not (cfg.is_file() and timing.is_file() and (run_dir / "metrics.csv").is_file()):
        return False
    stored = json.loads(timing.read_text())
    wanted = _requested(settings)
    return bool(
        stored.get("requested") == wanted
        and stored.get("config-fingerprint") == config_fingerprint(json.loads(cfg.read_text()))
    )


def _requested(settings: dict[str, Any]) -> dict[str, Any]:
    mapping = RunConfig.from_mapping(settings).to_mapping()
    return {k: v for k, v in mapping.items() if k != "output-dir"}


def _order(sweep: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    central = [v for v in sweep["variants"] if v.get("mode") == "centralised"]
    others = [v for v in sweep["variants"] if v.get("mode") != "centralised"]
    return [(v, s) for v in central + others for s in sweep["seeds"]]


def run_sweep(
    path: Path,
    out: Path,
    *,
    timeout: float = 1800.0,
    seeds: Sequence[int] | None = None,
    only: Sequence[str] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Run every variant × seed not yet finished under ``out``; return the gathered table.

    ``workers`` processes train each round's clients of the in-process variants.
    """
    sweep = load_sweep(path, seeds=seeds, only=only)
    jobs = _order(sweep)
    reference = {
        s: out / v["label"] / f"seed{s}" for v, s in jobs if v.get("mode") == "centralised"
    }
    t0 = time.perf_counter()
    for i, (variant, seed) in enumerate(jobs, 1):
        run_dir = out / variant["label"] / f"seed{seed}"
        mode = variant.get("mode", "federated")
        settings = _settings(sweep, variant, seed) | {"output-dir": str(run_dir.resolve())}
        if mode != "centralised" and seed in reference:
            settings["reference-dir"] = str(reference[seed].resolve())
        done = _finished(run_dir, settings)
        print(
            f"[sweep] {i}/{len(jobs)} {variant['label']} seed={seed}"
            + (" (done, reused)" if done else "")
            + f"  elapsed {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        if done:
            continue
        start = time.perf_counter()
        _run_one(
            mode,
            settings,
            int(sweep.get("num-supernodes", 5)),
            timeout,
            out / ".flwr" / f"{variant['label']}-{seed}",
            workers=workers,
        )
        fingerprint = config_fingerprint(json.loads((run_dir / "config.json").read_text()))
        write_json(
            run_dir / "timing.json",
            {
                "wall-seconds": round(time.perf_counter() - start, 1),
                "mode": mode,
                "requested": _requested(settings),
                "config-fingerprint": fingerprint,
            },
        )
    table = gather(sweep, out)
    write_csv(out / "results.csv", table)
    write_csv(out / "summary.csv", summarise(table))
    return table


def _run_one(
    mode: str,
    settings: dict[str, Any],
    supernodes: int,
    timeout: float,
    home: Path,
    *,
    workers: int = 1,
) -> None:
    config = RunConfig.from_mapping(settings)
    if mode == "centralised":
        run_centralised(config, verbose=False)
    elif mode == "ctgan":
        from simulations.ctgan_anchor import run_ctgan

        run_ctgan(config, verbose=False)  # CTGAN's own default budget (300 epochs)
    elif mode == "in-process":
        from simulations.inprocess import main as inprocess

        inprocess(
            [
                *("--num-partitions", str(supernodes), "--workers", str(workers)),
                *("--run-config", _text(settings)),
            ]
        )
    else:
        rc = run_flower(
            run_config=settings, num_supernodes=supernodes, num_cpus=1, timeout=timeout, home=home
        )
        if rc != 0:
            raise RuntimeError(f"run {settings['output-dir']} failed with exit status {rc}")


def _text(settings: dict[str, Any]) -> str:
    from simulations._cli import render_run_config

    return render_run_config(settings)


def gather(sweep: dict[str, Any], out: Path) -> pd.DataFrame:
    """Last-round rows of every run, with its settings, verdict and wall time as columns."""
    frames = []
    for v, seed in _order(sweep):
        run_dir = out / v["label"] / f"seed{seed}"
        m = pd.read_csv(run_dir / "metrics.csv")
        last = m[m["round"] == m["round"].max()].copy()
        last.insert(0, "variant", v["label"])
        last.insert(1, "seed", seed)
        for k, val in _settings(sweep, v, seed).items():
            if k != "seed":
                last[f"setting_{k}"] = val
        last["setting_mode"] = v.get("mode", "federated")
        facts = json.loads((run_dir / "verdict.json").read_text())
        last["learned"] = bool(facts["learned"])
        timing = run_dir / "timing.json"
        last["wall_seconds"] = (
            json.loads(timing.read_text())["wall-seconds"] if timing.is_file() else np.nan
        )
        last["fingerprint"] = config_fingerprint(json.loads((run_dir / "config.json").read_text()))
        frames.append(last)
    return pd.concat(frames, ignore_index=True)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over seeds per variant × group for the headline columns."""
    cols = [c for c in SUMMARY_COLUMNS if c in table]
    agg = table.groupby(["variant", "group"], sort=False)[cols].agg(["mean", "std"])
    agg.columns = [f"{c}_{s}" for c, s in agg.columns]
    learned = (
        table.groupby(["variant", "group"], sort=False)["learned"].sum().rename("learned_runs")
    )
    return agg.join(learned).reset_index()


def _ms(values: pd.Series, fmt: str = "{:.2f}") -> str:
    # A run with no HQ sample has an infinite reverse KL: summarise the finite ones, say so.
    finite = values[np.isfinite(values)]
    if finite.empty:
        return "inf" if len(values) else "n/a"
    text = fmt.format(finite.mean())
    if len(finite) > 1:
        text += f" ± {fmt.format(finite.std(ddof=1))}"
    return text if len(finite) == len(values) else f"{text} ({len(values) - len(finite)}× inf)"


def markdown_summary(table: pd.DataFrame) -> str:
    """Mean ± sd over seeds per variant: learned, modes held, HQ, and each group's mass."""
    rows = []
    for variant, part in table.groupby("variant", sort=False):
        runs = part.drop_duplicates("seed")
        row: dict[str, Any] = {"variant": variant, "seeds": len(runs)}
        if "learned" in runs:
            row["learned"] = f"{int(runs['learned'].sum())}/{len(runs)}"
        if "overall_modes_held" in part:
            n = int(runs["overall_modes"].iloc[0])
            row |= {
                f"modes held (of {n})": _ms(runs["overall_modes_held"], "{:.1f}"),
                "HQ %": _ms(100 * runs["overall_hq"], "{:.1f}"),
            }
        # mixtures have a reverse KL; images a Fréchet distance in the evaluator's features
        distances = (
            ("overall_reverse_kl", "reverse KL"),
            ("overall_fd", "FD"),
            ("overall_kid", "KID"),
        )
        for column, label in distances:
            if column in runs:
                row[label] = _ms(runs[column])
        for g, gpart in part.groupby("group"):
            name = str(gpart["group_name"].iloc[0]) if "group_name" in gpart else f"group {g}"
            if "modes_held" in gpart:
                row[f"{name}: modes held (of {int(gpart['modes'].iloc[0])})"] = _ms(
                    gpart["modes_held"], "{:.1f}"
                )
            row[f"{name}: mass vs real"] = _ms(gpart["mass_ratio"])
            # images: the unbiased per-class distance; the shared generator: the group's pull
            for column, label in (("intra_kid", "intra-KID"), ("generator_pull", "pull")):
                if column in gpart and gpart[column].notna().any():
                    row[f"{name}: {label}"] = _ms(gpart[column])
            if "mass_ratio_target" in gpart and not np.allclose(
                gpart["mass_ratio_target"], gpart["mass_ratio"], rtol=0.05
            ):
                row[f"{name}: mass vs target"] = _ms(gpart["mass_ratio_target"])
        if "wall_seconds" in runs and runs["wall_seconds"].notna().any():
            row["wall s"] = _ms(runs["wall_seconds"], "{:.0f}")
        rows.append(row)
    return pd.DataFrame(rows).fillna("—").to_markdown(index=False)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("sweep", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="default: results/<sweep name>")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per federated run")
    ap.add_argument(
        "--seeds", type=int, nargs="+", default=None, help="run these seeds, not the file's"
    )
    ap.add_argument(
        "--only", nargs="+", default=None, help="run only the variants with these labels"
    )
    add_cpus_option(ap)
    add_workers_option(ap)
    args = ap.parse_args(argv)
    use_cpus(args.num_cpus)
    sweep = load_sweep(args.sweep, seeds=args.seeds, only=args.only)
    out = args.out or ROOT / "results" / sweep["name"]
    table = run_sweep(
        args.sweep,
        out,
        timeout=args.timeout,
        seeds=args.seeds,
        only=args.only,
        workers=args.workers,
    )
    print(markdown_summary(table))
    print(f"[sweep] results in {out.resolve()}")


if __name__ == "__main__":
    main()
