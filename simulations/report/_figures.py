"""The report's figures; every one has a title and labelled axes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fedgan._io import atomic_write
from fedgan.data import Scenario

__all__ = ["figures"]


def _save(fig: Any, path: Path) -> str:
    import matplotlib.pyplot as plt

    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path.name


def _scatter(plt: Any, scenario: Scenario, samples: pd.DataFrame, title: str) -> Any:
    fig, ax = plt.subplots(figsize=(5, 5))
    for g in range(scenario.num_groups):
        real = scenario.x[scenario.group == g][:2000]
        ax.scatter(real[:, 0], real[:, 1], s=4, alpha=0.3, label=f"real: {scenario.group_name(g)}")
    ax.scatter(samples.iloc[:, 0], samples.iloc[:, 1], s=3, c="k", alpha=0.5, label="generated")
    ax.set(title=title, xlabel="x0", ylabel="x1")
    # Below the axes: on a grid every spot inside them is a mode.
    ax.legend(markerscale=3, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    return fig


def _digits(plt: Any, scenario: Scenario, samples: pd.DataFrame, title: str) -> Any:
    """Real and generated digits, one row per class.

    Real on the left; on the right the generated digits the evaluator reads as that class,
    most confident first (an empty cell: too few of that class).
    """
    from fedgan.metrics import HQ_THRESHOLD, digits_classifier

    per, classes = 6, scenario.num_modes
    gen = samples.to_numpy(dtype=float).reshape(len(samples), -1)
    probs = digits_classifier(0).probs(gen)
    pred, conf = probs.argmax(axis=1), probs.max(axis=1)
    real = scenario.x.reshape(len(scenario.x), -1)
    fig, axes = plt.subplots(classes, 2 * per + 1, figsize=(7.2, 0.62 * classes + 0.6))
    for c in range(classes):
        mine = np.flatnonzero(pred == c)
        mine = mine[np.argsort(-conf[mine], kind="stable")][:per]
        rows = [real[scenario.mode == c][:per], gen[mine]]
        for side, imgs in enumerate(rows):
            for j in range(per):
                ax = axes[c][j + side * (per + 1)]
                ax.axis("off")
                if j < len(imgs):
                    ax.imshow(imgs[j].reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
        axes[c][per].axis("off")
        group = scenario.group_name(int(scenario.mode_groups[c]))
        n_hq = int(((pred == c) & (conf >= HQ_THRESHOLD)).sum())
        axes[c][per].text(
            0.5, 0.5, f"{c}\n{group.split(' ')[0]}\n{n_hq} HQ", ha="center", va="center", fontsize=6
        )
    fig.suptitle(f"{title}: real (left), generated (right)", fontsize=9)
    return fig


def _marginals(plt: Any, scenario: Scenario, samples: pd.DataFrame, title: str) -> Any:
    real = scenario.encoder.decode(scenario.x)
    attr = scenario.group_attribute
    cols = [c for c in real.columns if c != attr][:6]
    fig, axes = plt.subplots(
        len(scenario.group_names),
        len(cols),
        figsize=(3 * len(cols), 2.6 * len(scenario.group_names)),
        squeeze=False,
    )
    for r, name in enumerate(scenario.group_names):
        rr, ss = real[real[attr].astype(str) == name], samples[samples[attr].astype(str) == name]
        for c, col in enumerate(cols):
            ax = axes[r][c]
            if col in scenario.encoder.numeric:
                ax.hist([rr[col], ss[col]], bins=15, density=True, label=["real", "synthetic"])
            else:
                cats = sorted(set(rr[col].astype(str)) | set(ss[col].astype(str)))
                pos = np.arange(len(cats))
                for off, part, lab in ((-0.2, rr, "real"), (0.2, ss, "synthetic")):
                    share = (
                        part[col]
                        .astype(str)
                        .value_counts(normalize=True)
                        .reindex(cats, fill_value=0)
                    )
                    ax.bar(pos + off, share.to_numpy(), width=0.4, label=lab)
                ax.set_xticks(pos, cats, rotation=45, fontsize=6)
            ax.set(title=f"{attr}={name}: {col}", ylabel="share", xlabel=col)
            ax.title.set_fontsize(8)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _over_rounds(plt: Any, metrics: pd.DataFrame, title: str) -> Any:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    for g, part in metrics.groupby("group"):
        name = str(part["group_name"].iloc[0]) if "group_name" in part else f"group {g}"
        if "modes_held" in part:
            left.plot(
                part["round"],
                part["modes_held"] / part["modes"],
                marker="o",
                ms=3,
                label=f"{name}: modes held / modes",
            )
        if "coverage" in part:
            left.plot(part["round"], part["coverage"], ls="--", label=f"{name}: coverage")
        if "hq_fraction" in part:
            right.plot(
                part["round"], part["hq_fraction"], marker="o", ms=3, label=f"{name}: HQ share"
            )
    first = metrics.drop_duplicates("round")
    if "overall_hq" in first:
        right.plot(first["round"], first["overall_hq"], c="k", lw=2, label="all samples: HQ share")
        right.axhline(first["overall_chance_hq"].iloc[0], c="grey", ls=":", label="chance")
    left.set(
        title=f"{title}: modes and coverage", xlabel="round", ylabel="share", ylim=(-0.02, 1.02)
    )
    right.set(
        title=f"{title}: high-quality share", xlabel="round", ylabel="share", ylim=(-0.02, 1.02)
    )
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    return fig


def _mass(plt: Any, metrics: pd.DataFrame, title: str) -> Any:
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for g, part in metrics.groupby("group"):
        name = str(part["group_name"].iloc[0]) if "group_name" in part else f"group {g}"
        ax.plot(part["round"], part["mass_ratio"], marker="o", ms=3, label=name)
    ax.axhline(1.0, c="grey", ls=":", label="real share")
    ax.axhspan(0.8, 1.25, color="green", alpha=0.08, label="within [0.8, 1.25]")
    ax.set(title=f"{title}: generated share / real share", xlabel="round", ylabel="mass ratio")
    ax.legend(fontsize=7)
    return fig


def _sources(plt: Any, table: pd.DataFrame, title: str) -> Any:
    fig, ax = plt.subplots(figsize=(6, 3.4))
    drawn = table[table["probability"] > 0]
    by_rows = drawn["client_rows"].notna().all()
    for _, part in drawn.groupby("group"):
        name = str(part["group_name"].iloc[0])
        if by_rows:
            ax.scatter(part["client_rows"], part["hq_fraction"], s=12, alpha=0.7, label=name)
        else:
            ax.hist(part["hq_fraction"], bins=20, range=(0, 1), alpha=0.6, label=name)
    xlabel = "the client's rows of the group" if by_rows else "HQ share of a source"
    ylabel = "HQ share of the source" if by_rows else "sources"
    ax.set(title=f"{title}: each (client, group) source", xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=7)
    return fig


def _weights(plt: Any, weights: pd.DataFrame, title: str) -> Any:
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for pid, part in weights.groupby("partition_id"):
        ax.plot(part["round"], part["weight"], marker=".", label=f"client {pid}")
    ax.set(title=f"{title}: aggregation weight per client", xlabel="round", ylabel="weight")
    ax.legend(fontsize=6, ncol=2)
    return fig


def _shares(plt: Any, shares: pd.DataFrame, names: list[str], title: str) -> Any:
    """``aggregation = "group-dro"``: each group's share of the weights, round by round."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for g, name in enumerate(names):
        ax.plot(shares.index, shares[f"group_{g}_share"], label=name)
    ax.set(
        title=f"{title}: each group's share of the weights (group-dro)",
        xlabel="round",
        ylabel="share",
        ylim=(0, 1),
    )
    ax.legend(fontsize=7)
    return fig


_SAMPLE_FIGURES = {
    "mixture": ("scatter", _scatter, "real (by group) and generated"),
    "image": ("samples", _digits, "generated digits by class"),
    "tabular": ("marginals", _marginals, "real and synthetic marginals by group"),
}


def figures(run: dict[str, Any], scenario: Scenario, out: Path, tag: str) -> list[str]:
    """Write the run's PNGs into ``out``; return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    samples, metrics, weights = run["samples"], run["metrics"], run["weights"]
    if samples is not None:
        label, draw, title = _SAMPLE_FIGURES[scenario.kind]
        names.append(
            _save(draw(plt, scenario, samples, f"{tag}: {title}"), out / f"{tag}_{label}.png")
        )
    names.append(_save(_over_rounds(plt, metrics, tag), out / f"{tag}_rounds.png"))
    if "mass_ratio" in metrics:
        names.append(_save(_mass(plt, metrics, tag), out / f"{tag}_mass.png"))
    if (
        weights is not None
        and len(weights)
        and weights.groupby("partition_id")["weight"].nunique().max() > 1
    ):
        names.append(_save(_weights(plt, weights, tag), out / f"{tag}_weights.png"))
    share_cols = [f"group_{g}_share" for g in range(scenario.num_groups)]
    if weights is not None and len(weights) and set(share_cols) <= set(weights.columns):
        shares = weights.groupby("round")[share_cols].first()
        figure = _shares(plt, shares, list(scenario.group_names), tag)
        names.append(_save(figure, out / f"{tag}_shares.png"))
    if run.get("source_quality") is not None:
        names.append(_save(_sources(plt, run["source_quality"], tag), out / f"{tag}_sources.png"))
    return names
