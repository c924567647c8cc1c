"""Score the global generator after a round; keep tidy rows (round × group)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from fedgan.data import Scenario
from fedgan.evaluation._scorers import score_samples
from fedgan.models import Generator

__all__ = ["Evaluator"]

# Columns of metrics.csv in order (overall_* columns follow); see docs/results.md.
GROUP_COLUMNS = (
    "round",
    "group",
    "group_name",
    "modes",
    "modes_captured",
    "modes_held",
    "missing_modes",
    "hq_fraction",
    "generated_share",
    "real_share",
    "target_share",
    "mass_ratio",
    "mass_ratio_target",
    "generator_pull",
    "coverage",
    "precision",
    "recall",
    "fake_count",
    "notes",
)


class Evaluator:
    """Samples the generator, scores the samples, and keeps one row per round × group.

    Parameters
    ----------
    scenario : Scenario
        The data the samples are compared with.
    samples : int
        Rows to generate per evaluation.
    seed : int
        Seeds the evaluation noise (the same every round) and the real reference rows.
    device : torch.device
        Where the generator runs.
    """

    def __init__(
        self, scenario: Scenario, *, samples: int, seed: int, device: torch.device
    ) -> None:
        self.scenario, self.samples, self.seed, self.device = scenario, samples, seed, device
        self.rows: list[dict[str, Any]] = []
        self.last_samples: np.ndarray | None = None

    def sample(self, generator: Generator, *, source_probs: np.ndarray | None) -> np.ndarray:
        """``samples`` rows in data space; sources in the proportions ``source_probs``."""
        sc, n = self.scenario, self.samples
        rng = torch.Generator(device=self.device).manual_seed(self.seed + 7)
        labels = sources = None
        if sc.num_labels:
            labels = self._allocate(np.asarray(sc.label_weights), rng)
        if generator.num_sources:
            probs = (
                np.full(generator.num_sources, 1.0 / generator.num_sources)
                if source_probs is None  # before any source trained: all equally (untrained)
                else source_probs
            )
            sources = self._allocate(probs, rng)
        generator.eval()
        x = generator.sample(n, labels=labels, sources=sources, rng=rng)
        return x.reshape(n, -1).cpu().numpy().astype(np.float64)

    def _allocate(self, probs: np.ndarray, rng: torch.Generator) -> torch.Tensor:
        """``samples`` ids in exactly the proportions ``probs`` (largest remainder), shuffled.

        A multinomial draw would add its own noise to every mass ratio, and with the fixed
        evaluation seed the same noise every round; exact counts measure the model alone.
        """
        p = np.asarray(probs, dtype=np.float64) / np.sum(probs)
        raw = p * self.samples
        counts = np.floor(raw).astype(np.int64)
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[: self.samples - int(counts.sum())]] += 1
        ids = torch.repeat_interleave(torch.arange(len(p)), torch.as_tensor(counts))
        return ids[
            torch.randperm(len(ids), generator=torch.Generator().manual_seed(self.seed + 11))
        ].to(self.device)

    def evaluate(
        self,
        server_round: int,
        generator: Generator,
        *,
        source_probs: np.ndarray | None = None,
        target_share: np.ndarray | None = None,
        generator_pull: np.ndarray | None = None,
    ) -> dict[str, float]:
        """Score the generator; return flat hierarchical metrics (``group/<g>/...``).

        ``generator_pull`` (``[G]``, the server-trained generator's group shares of its
        gradient this round) becomes the ``generator_pull`` column when given.

        Raises
        ------
        FloatingPointError
            If the generator produced NaN or inf.
        """
        x = self.sample(generator, source_probs=source_probs)
        if not np.isfinite(x).all():
            raise FloatingPointError(
                f"round {server_round}: the generator produced NaN or inf samples"
            )
        self.last_samples = x
        score = score_samples(self.scenario, x, seed=self.seed)
        table = score.per_group
        target = self.scenario.group_weights if target_share is None else np.asarray(target_share)
        table["target_share"] = target[table.index]
        with np.errstate(divide="ignore", invalid="ignore"):
            table["mass_ratio_target"] = table["generated_share"] / table["target_share"]
        table["group_name"] = [self.scenario.group_name(int(g)) for g in table.index]
        if generator_pull is not None:
            table["generator_pull"] = np.asarray(generator_pull, dtype=np.float64)[table.index]
        overall: dict[str, object] = {f"overall_{k}": v for k, v in score.overall.items()}
        overall["overall_notes"] = "; ".join(
            f"{k}: {v}" for k, v in score.notes.items() if not k.startswith("group/")
        )
        flat = {k: float(v) for k, v in score.overall.items()}
        for g, r in table.iterrows():
            notes = "; ".join(
                f"{k.split('/')[-1]}: {v}"
                for k, v in score.notes.items()
                if k.startswith(f"group/{g}/")
            )
            row = {"round": server_round, "group": int(g), **r.to_dict(), "notes": notes}
            self.rows.append(row | overall)
            for col in ("modes_held", "mass_ratio", "hq_fraction", "coverage", "generator_pull"):
                if col in r and pd.notna(r[col]):
                    flat[f"group/{g}/{col}"] = float(r[col])
        return flat

    def state(self) -> dict[str, Any]:
        """The last samples, for a checkpoint (the rows go to the run's round log).

        A tensor, not JSON text: written every round, 2,500 digit images as JSON cost
        about a sixth of a digits round.
        """
        last = None if self.last_samples is None else torch.from_numpy(self.last_samples)
        return {"last_samples": last}

    def restore(self, state: Mapping[str, Any], *, rows: list[dict[str, Any]]) -> None:
        """Put back what :meth:`state` saved, with the rows read back from the round log."""
        self.rows = list(rows)
        last = state["last_samples"]  # a tensor; a list in checkpoints written before
        self.last_samples = None if last is None else np.asarray(last, dtype=np.float64)

    def table(self) -> pd.DataFrame:
        """The tidy evaluation table: one row per round × group, fixed column order."""
        frame = pd.DataFrame(self.rows)
        if frame.empty:
            return frame
        first = [c for c in GROUP_COLUMNS if c in frame]
        rest = sorted(c for c in frame if c not in first)
        return frame[first + rest]
