"""Assemble the fairness report: verdicts, definitions, CIs, fairness by group, figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fedgan._io import atomic_write
from fedgan.data import Scenario, load_scenario, scenario_spec
from fedgan.evaluation import scenario_tstr
from simulations.report._figures import figures
from simulations.report._load import load_run
from simulations.report._stats import coverage_ci, mixture_ci
from simulations.source_quality import group_summary

__all__ = ["DEFINITIONS", "build_report"]

DEFINITIONS = """\
- **high-quality (HQ) sample** (mixtures): within 3 standard deviations of its nearest mode.
  Real data scores 98.9% in 2-D; *chance* is what a Gaussian with the data's mean and
  covariance scores (a generator that learnt no structure).
- **learned**: the run's HQ share (mixtures, images) or coverage (tables) is at least halfway
  from chance to real data; for images the Fréchet distance in the digits evaluator's
  features must also be at least halfway from noise down to held-out real digits.
- **HQ image**: the digits evaluator network gives one digit class at least 0.5 of its
  probability (it has a "not a digit" class; docs/data.md).
- **mode held**: its HQ samples reach 20% of its expected count (2,500 × its weight).
  **mode captured**: at least one HQ sample (the count VEEGAN and PacGAN report).
- **mass ratio**: a group's share of the HQ samples (mixtures; images: classes read by the
  evaluator network) or of the samples (tables: by the decoded group column) divided by its real share; 1 is exact.
  **vs target**: divided by the share the run's design trains toward instead.
- **coverage** of a group: share of its real rows whose 5-NN ball holds a generated row
  (Naeem et al. 2020); **precision / recall**: Kynkäänniemi et al. 2019, k = 3; recall of a
  group no generated row lies nearest to is not computed.
- **share of modes held**: a group's modes held divided by its modes.
- **difference / ratio**: largest minus smallest group value; smallest over largest
  (fairlearn's between-groups summaries).
- **CI**: 95% percentile bootstrap over the final round's generated samples (coverage: over
  real rows, fairlearn's `MetricFrame`).
- **TSTR** (tables): a classifier trained on synthetic records, tested on real ones, by group
  (fairlearn: selection rate, demographic-parity and equalized-odds differences).
"""

SHOWN = (
    "round",
    "group_name",
    "modes_held",
    "modes",
    "hq_fraction",
    "mass_ratio",
    "mass_ratio_target",
    "coverage",
    "recall",
    "notes",
)


def _scenario(cfg: dict[str, Any]) -> Scenario:
    spec = {k: (tuple(v) if isinstance(v, list) else v) for k, v in cfg["scenario-spec"].items()}
    return load_scenario(scenario_spec(cfg["scenario"], **spec), name=cfg["scenario"])


def collapse_weights(weights: pd.DataFrame) -> pd.DataFrame:
    """Rounds × clients, one row per stretch of rounds whose weights do not change."""
    piv = weights.pivot(index="round", columns="partition_id", values="weight").sort_index()
    piv.columns = [f"client {c}" for c in piv.columns]
    stretches: list[list[Any]] = []  # [first round, last round, weights]
    for rnd, row in piv.iterrows():
        vals = row.to_numpy()
        if stretches and np.allclose(vals, stretches[-1][2], equal_nan=True, atol=1e-9):
            stretches[-1][1] = rnd
        else:
            stretches.append([rnd, rnd, vals])
    index = [f"{a}–{b}" if a != b else f"{a}" for a, b, _ in stretches]
    return pd.DataFrame(
        [v for _, _, v in stretches], index=pd.Index(index, name="rounds"), columns=piv.columns
    )


def _fmt_ci(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    out["95% CI"] = [
        f"[{lo:.3f}, {hi:.3f}]" for lo, hi in zip(out.pop("ci_low"), out.pop("ci_high"))
    ]
    return out


def _tstr(scenario: Scenario, samples: pd.DataFrame) -> list[str]:
    head = "### Train on synthetic, test on real held-out records (fairlearn, by group)"
    if scenario.tstr is None or scenario.holdout_x is None:
        why = "the scenario names no target" if scenario.tstr is None else "no rows are held out"
        return [head, "", f"Not computed: {why}.", ""]
    test = scenario.encoder.decode(scenario.holdout_x)
    frames = []
    for name, train in (("synthetic", samples), ("real", scenario.encoder.decode(scenario.x))):
        try:
            fair = scenario_tstr(scenario, train, test)
        except ValueError as err:
            return [head, "", f"Not computed: {err}.", ""]
        frames.append(fair.assign(trained_on=name))
    table = pd.concat(frames)[
        [
            "trained_on",
            "group",
            "accuracy",
            "balanced_accuracy",
            "auc",
            "selection_rate",
            "dp_difference",
            "eo_difference",
        ]
    ]
    return [
        head,
        "",
        "Always predicting the majority class scores AUC and balanced accuracy 0.5.",
        "",
        table.to_markdown(index=False, floatfmt=".3f"),
        "",
    ]


def _across_seeds(loaded: list[dict[str, Any]]) -> list[str]:
    from simulations.run import markdown_summary

    frames = []
    for run in loaded:
        cfg, m = run["config"], run["metrics"]
        last = m[m["round"] == m["round"].max()].copy()
        setting = {
            k: v
            for k, v in cfg.items()
            if k not in ("seed", "output-dir", "fingerprint", "reference-dir")
        }
        last.insert(
            0,
            "variant",
            f"{cfg.get('mode', 'federated')} {cfg.get('federation', '')} {cfg.get('aggregation', '')}".strip(),
        )
        last["seed"], last["_key"] = cfg.get("seed"), repr(sorted(setting.items()))
        frames.append(last)
    table = pd.concat(frames, ignore_index=True)
    if table.groupby("_key")["seed"].nunique().max() < 2:
        return []
    return [
        "## Across seeds (mean ± sd of the final round)",
        "",
        markdown_summary(table.drop(columns="_key")),
        "",
    ]


def build_report(runs: list[Path], out: Path) -> Path:
    """Write ``out/report.md`` and its PNG figures; return the Markdown path."""
    loaded = [load_run(Path(r)) for r in runs]  # every folder checked before anything is written
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# fedgan fairness report", "", "## Verdicts", ""]
    for i, run in enumerate(loaded):
        lines += [f"run{i} (`{run['path']}`):", "", "```", run["verdict"], "```", ""]
    lines += ["## Definitions", "", DEFINITIONS, *(_across_seeds(loaded))]
    for i, run in enumerate(loaded):
        cfg, m, tag = run["config"], run["metrics"], f"run{i}"
        scenario = _scenario(cfg)
        lines += [
            f"## {tag}: `{run['path']}`",
            "",
            f"scenario `{cfg['scenario']}`, federation `{cfg.get('federation')}` ({cfg.get('mode', 'federated')}), "
            f"aggregation `{cfg.get('aggregation')}`, group weighting `{cfg.get('group-weighting')}`, "
            f"penalty balance `{cfg.get('gp-balance')}`, seed {cfg.get('seed')}",
            "",
        ]
        samples = run["samples"]
        if samples is not None:
            x = (
                samples.to_numpy(dtype=np.float64)
                if scenario.kind != "tabular"
                else scenario.encoder.encode(samples)
            )
            lines += [
                f"### Final round ({int(m['round'].max())}) by group, with 95% bootstrap CIs",
                "",
            ]
            if scenario.kind == "mixture":
                lines += [
                    _fmt_ci(mixture_ci(scenario, x, seed=int(cfg.get("seed", 0)))).to_markdown(
                        index=False, floatfmt=".3f"
                    ),
                    "",
                ]
            lines += [
                _fmt_ci(coverage_ci(scenario, x, seed=int(cfg.get("seed", 0)))).to_markdown(
                    index=False, floatfmt=".3f"
                ),
                "",
            ]
            if scenario.kind == "tabular":
                lines += _tstr(scenario, samples)
        if run["weights"] is not None and len(run["weights"]):
            lines += [
                "### Aggregation weight per client (rounds where they change)",
                "",
                collapse_weights(run["weights"]).to_markdown(floatfmt=".3f"),
                "",
            ]
        if run["source_quality"] is not None:
            lines += [
                "### Each source judged alone (`fedgan-sources`; sources drawn in training)",
                "",
                group_summary(run["source_quality"]).to_markdown(index=False, floatfmt=".3f"),
                "",
            ]
        every = max(1, int(np.ceil(m["round"].nunique() / 20)))
        shown = m[(m["round"] % every == 0) | (m["round"] == m["round"].max())]
        lines += [
            f"### Per round × group (every {every} round{'s' if every > 1 else ''})",
            "",
            shown[[c for c in SHOWN if c in m]].to_markdown(index=False, floatfmt=".3g"),
            "",
        ]
        lines += [f"![{name}]({name})" for name in figures(run, scenario, out, tag)] + [""]
    report = out / "report.md"
    atomic_write(report, lambda f: f.write("\n".join(lines).encode()))
    return report
