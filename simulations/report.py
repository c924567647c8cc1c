"""Fairness report: Markdown tables and PNG figures from one or many run folders.

    fedgan-report RUN_DIR [RUN_DIR ...] [--out REPORT_DIR]
    python -m simulations.report outputs/latest --out outputs/report

A run folder is what a fedgan run writes (``metrics.csv``, ``config.json``,
``samples.csv``, and for federated runs ``weights.csv``). The report holds, per
run: the per-round × group table, final per-group coverage with bootstrap CIs
(fairlearn MetricFrame over real samples' "covered" flags), per-client aggregation
weights, and figures (real vs generated scatter by group for 2-D data, a sample
grid for digits, per-group coverage over rounds, client weights per round).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fedgan._io import atomic_write
from fedgan.data import load_scenario, scenario_spec
from fedgan.metrics import disaggregate, prdc

__all__ = ["build_report", "main"]

REQUIRED = ("metrics.csv", "config.json")


class RunFolderError(ValueError):
    """A results folder is missing or malformed; the message names it."""


def _load(run: Path) -> dict[str, Any]:
    if not run.is_dir():
        raise RunFolderError(f"results folder {run} does not exist")
    missing = [f for f in REQUIRED if not (run / f).is_file()]
    if missing:
        raise RunFolderError(
            f"results folder {run} lacks {', '.join(missing)}; is it a fedgan run?"
        )
    try:
        metrics = pd.read_csv(run / "metrics.csv")
        config = json.loads((run / "config.json").read_text())
    except (ValueError, pd.errors.ParserError) as err:
        raise RunFolderError(
            f"results folder {run}: unreadable metrics.csv or config.json ({err})"
        ) from None
    for col in ("round", "group"):
        if col not in metrics:
            raise RunFolderError(f"results folder {run}: metrics.csv has no {col!r} column")
    if "scenario-spec" not in config or "scenario" not in config:
        raise RunFolderError(f"results folder {run}: config.json lacks scenario or scenario-spec")
    out: dict[str, Any] = {"path": run, "metrics": metrics, "config": config}
    for name in ("samples", "weights"):
        f = run / f"{name}.csv"
        out[name] = pd.read_csv(f) if f.is_file() else None
    return out


def _savefig(fig: Any, path: Path) -> str:
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"))
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path.name


def _figures(run: dict[str, Any], scenario: Any, out: Path, tag: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    m = run["metrics"]
    samples = run["samples"]
    if samples is not None and scenario.data_dim == 2:
        fig, ax = plt.subplots(figsize=(5, 5))
        for g in range(scenario.num_groups):
            real = scenario.x[scenario.group == g][:2000]
            ax.scatter(real[:, 0], real[:, 1], s=4, alpha=0.3, label=f"real group {g}")
        ax.scatter(samples.iloc[:, 0], samples.iloc[:, 1], s=3, c="k", alpha=0.5, label="generated")
        ax.set_title(f"{tag}: real (by group) vs generated")
        ax.legend(markerscale=3, fontsize=7)
        names.append(_savefig(fig, out / f"{tag}_scatter.png"))
    if samples is not None and scenario.image_shape is not None:
        imgs = samples.to_numpy()[:64].reshape(-1, 8, 8)
        fig, axes = plt.subplots(8, 8, figsize=(5, 5))
        for ax, img in zip(axes.ravel(), imgs):
            ax.imshow(img, cmap="gray_r", vmin=-1, vmax=1)
            ax.axis("off")
        names.append(_savefig(fig, out / f"{tag}_samples.png"))
    col = "modes_captured" if "modes_captured" in m and "modes" in m else "coverage"
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for g, part in m.groupby("group"):
        y = part[col] / part["modes"] if col == "modes_captured" else part[col]
        ax.plot(part["round"], y, marker="o", ms=3, label=f"group {g}")
    ax.set_xlabel("round")
    ax.set_ylabel("modes captured / modes" if col == "modes_captured" else "coverage")
    ax.set_ylim(-0.02, 1.02)
    ax.legend()
    names.append(_savefig(fig, out / f"{tag}_coverage.png"))
    w = run["weights"]
    if w is not None and len(w):
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for pid, part in w.groupby("partition_id"):
            ax.plot(part["round"], part["weight"], marker=".", label=f"client {pid}")
        ax.set_xlabel("round")
        ax.set_ylabel("aggregation weight")
        ax.legend(fontsize=6, ncol=2)
        names.append(_savefig(fig, out / f"{tag}_weights.png"))
    return names


def _final_ci(run: dict[str, Any], scenario: Any, seed: int) -> pd.DataFrame | None:
    samples = run["samples"]
    if samples is None:
        return None
    ref = np.random.default_rng(seed).permutation(len(scenario.x))[:1500]
    real = scenario.x[ref].reshape(len(ref), -1)
    pr = prdc(real, samples.to_numpy(), real_groups=scenario.group[ref])
    return disaggregate(
        {"coverage": pr.real_covered.astype(float)}, scenario.group[ref], n_boot=200
    )


def build_report(runs: list[Path], out: Path) -> Path:
    """Write ``out/report.md`` and its PNG figures; return the Markdown path."""
    loaded = [_load(Path(r)) for r in runs]  # every folder checked before anything is written
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# fedgan fairness report", ""]
    finals = []
    for i, run in enumerate(loaded):
        cfg, m = run["config"], run["metrics"]
        spec = {
            k: (tuple(v) if isinstance(v, list) else v) for k, v in cfg["scenario-spec"].items()
        }
        scenario = load_scenario(scenario_spec(cfg["scenario"], **spec), name=cfg["scenario"])
        tag = f"run{i}"
        lines += [f"## {tag}: `{run['path']}`", "",
                  f"scenario `{cfg['scenario']}`, aggregation `{cfg.get('aggregation')}`, "
                  f"gp-balance `{cfg.get('gp-balance')}`, group-weighting `{cfg.get('group-weighting')}`, "
                  f"seed {cfg.get('seed')}", ""]  # fmt: skip
        keep = [c for c in ("round", "group", "modes_captured", "modes", "hq_fraction", "mass_ratio",
                            "precision", "recall", "coverage", "train_wasserstein", "train_grad_norm") if c in m]  # fmt: skip
        lines += ["### Per round × group", "", m[keep].to_markdown(index=False, floatfmt=".3g"), ""]
        ci = _final_ci(run, scenario, int(cfg.get("seed", 0)))
        if ci is not None:
            lines += ["### Final per-group coverage (real samples covered, 95% bootstrap CI)", "",
                      ci.to_markdown(index=False, floatfmt=".3f"), ""]  # fmt: skip
        if run["weights"] is not None and len(run["weights"]):
            piv = run["weights"].pivot(index="round", columns="partition_id", values="weight")
            piv.columns = [f"client {c}" for c in piv.columns]
            lines += [
                "### Aggregation weight per client and round",
                "",
                piv.to_markdown(floatfmt=".3f"),
                "",
            ]
        for name in _figures(run, scenario, out, tag):
            lines += [f"![{name}]({name})", ""]
        last = m[m["round"] == m["round"].max()][keep].assign(run=tag)
        finals.append(last)
    if len(finals) > 1:
        lines += [
            "## Final round, all runs",
            "",
            pd.concat(finals).to_markdown(index=False, floatfmt=".3g"),
            "",
        ]
    report = out / "report.md"
    atomic_write(report, lambda f: f.write("\n".join(lines).encode()))
    return report


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (``fedgan-report``)."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "runs", nargs="+", type=Path, help="run folders (each with metrics.csv, config.json)"
    )
    ap.add_argument("--out", type=Path, default=Path("outputs/report"))
    args = ap.parse_args(argv)
    os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="fedgan-mpl-"))
    try:
        path = build_report(args.runs, args.out)
    except RunFolderError as err:
        ap.exit(2, f"fedgan-report: error: {err}\n")
    print(f"report written to {path}")


if __name__ == "__main__":
    main()
