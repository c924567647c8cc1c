"""A finished run's generator, ready to draw new rows: :func:`load` and :meth:`TrainedGenerator.sample`.

A run folder holds everything needed: ``config.json`` (the run config and the scenario),
``generator.pt`` (the weights that were evaluated) and, for designs with one generator
source per (client, group), ``sources.csv`` (the probability with which the final
evaluation drew each source). Samples come back in the data's own form: a DataFrame of
records for tables (decoded, with the original columns), an ``[n, C, H, W]`` array for
images under conv models, an ``[n, d]`` array otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fedgan.config import RunConfig
from fedgan.data import Conditioning, Scenario
from fedgan.federation import make_models
from fedgan.federation._setup import load_scenario_once
from fedgan.models import Generator
from fedgan.results import samples_frame

__all__ = ["TrainedGenerator", "load"]

# config.json facts that are not run-config keys.
_FACTS = ("mode", "scenario-spec", "fingerprint")


@dataclass
class TrainedGenerator:
    """A trained generator with its scenario and the sources' sampling probabilities.

    Attributes
    ----------
    generator : Generator
        The weights of ``generator.pt``, in eval mode on the CPU.
    scenario : Scenario
        The run's scenario: group names, the table decoder, the image shape.
    config : RunConfig
        The run config the folder recorded.
    sources : pandas.DataFrame or None
        One row per generator source (``source``, ``partition_id``, ``group``,
        ``probability``); ``None`` when the generator has no sources.
    """

    generator: Generator
    scenario: Scenario
    config: RunConfig
    sources: pd.DataFrame | None

    @property
    def group_names(self) -> tuple[str, ...]:
        """The scenario's group names, indexed by group id."""
        return tuple(self.scenario.group_names)

    def sample(
        self, n: int, *, group: int | None = None, source: int | None = None, seed: int = 0
    ) -> np.ndarray | pd.DataFrame:
        """Draw ``n`` new rows: of the learnt mixture, of one group, or of one source.

        Parameters
        ----------
        n : int
            Rows to draw (≥ 1).
        group : int, optional
            A group id (see :attr:`group_names`); ``None`` draws the mixture the run was
            evaluated on.
        source : int, optional
            One generator source (a row of :attr:`sources`: one client's group), for
            designs with sources; not together with ``group``.
        seed : int
            Same seed, same rows.

        Returns
        -------
        numpy.ndarray or pandas.DataFrame
            Records for tables, ``[n, C, H, W]`` images under conv models, else ``[n, d]``.

        Raises
        ------
        ValueError
            If ``n`` < 1, ``group`` is not a group of the scenario, ``source`` is not a source
            of the generator, both are given, or the generator cannot be asked for one group
            (unconditional, no sources: draw the mixture instead).
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        flat = self._draw(n, group=group, source=source, seed=seed)
        if self.scenario.kind == "tabular":
            return samples_frame(self.scenario, flat)
        return flat.reshape(n, *self.generator.data_shape)

    def _draw(self, n: int, *, group: int | None, source: int | None, seed: int) -> np.ndarray:
        """``[n, d]`` rows in data space as the generator gives them (tables not decoded)."""
        g = self.scenario.num_groups
        if group is not None and (isinstance(group, bool) or group not in range(g)):
            raise ValueError(
                f"group must be one of 0..{g - 1} ({', '.join(self.group_names)}), got {group!r}"
            )
        if source is not None:
            if group is not None:
                raise ValueError("give group or source, not both: a source has one group")
            group = self._group_of(source)
        rng = torch.Generator().manual_seed(int(seed))
        labels = self._labels(n, group, rng)
        sources = (
            torch.full((n,), int(source), dtype=torch.long)
            if source is not None
            else self._sources(n, group, rng)
        )
        if group is not None and labels is None and sources is None:
            raise ValueError(
                "this generator is neither conditional on groups nor split into sources, so "
                "it cannot be asked for one group; call sample(n) for the mixture"
            )
        x = self.generator.sample(n, labels=labels, sources=sources, rng=rng)
        return x.reshape(n, -1).numpy().astype(np.float64)

    def _group_of(self, source: int) -> int:
        table = self.sources
        if table is None or not self.generator.num_sources:
            raise ValueError("this generator has no sources; draw by group or the mixture")
        ids = table["source"].to_numpy()
        if (
            isinstance(source, bool)
            or not isinstance(source, int | np.integer)
            or source not in ids
        ):
            raise ValueError(
                f"source must be one of the {len(ids)} sources in sources.csv "
                f"(0..{int(ids.max())}), got {source!r}"
            )
        return int(table.loc[table["source"] == source, "group"].iloc[0])

    def _labels(self, n: int, group: int | None, rng: torch.Generator) -> torch.Tensor | None:
        sc = self.scenario
        if not sc.num_labels:
            return None
        weights = np.asarray(sc.label_weights, dtype=np.float64)
        if group is not None:
            if sc.conditioning is Conditioning.GROUP:
                return torch.full((n,), group, dtype=torch.long)
            weights = np.where(np.asarray(sc.mode_groups) == group, weights, 0.0)
        return torch.multinomial(torch.as_tensor(weights / weights.sum()), n, True, generator=rng)

    def _sources(self, n: int, group: int | None, rng: torch.Generator) -> torch.Tensor | None:
        if self.sources is None or not self.generator.num_sources:
            return None
        table = self.sources
        probs = table["probability"].to_numpy(dtype=np.float64)
        if group is not None:
            probs = np.where(table["group"].to_numpy() == group, probs, 0.0)
            if probs.sum() <= 0:
                raise ValueError(
                    f"no trained source of group {group} ({self.group_names[group]}): the run "
                    "never sampled it, so it has nothing learnt to draw"
                )
        ids = torch.multinomial(torch.as_tensor(probs / probs.sum()), n, True, generator=rng)
        return torch.tensor(table["source"].to_numpy(), dtype=torch.long)[ids]


def load(run_dir: str | Path) -> TrainedGenerator:
    """The trained generator of a finished run folder (``flwr run``, in process or centralised).

    Parameters
    ----------
    run_dir : str or Path
        A folder written by a fedgan run (it holds ``config.json`` and ``generator.pt``).

    Returns
    -------
    TrainedGenerator

    Raises
    ------
    FileNotFoundError
        If the folder or one of the files it needs is missing (named).
    ValueError
        If the folder holds a CTGAN benchmark run.

    Examples
    --------
    >>> run = fedgan.load("outputs/latest")                     # doctest: +SKIP
    >>> minority = run.sample(500, group=1, seed=0)             # doctest: +SKIP
    """
    folder = Path(run_dir).expanduser()
    for name in ("config.json", "generator.pt"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder}: no {name} (is this a fedgan run folder?)")
    settings = json.loads((folder / "config.json").read_text())
    if settings.get("mode") == "ctgan":  # simulations.ctgan_anchor's folder: CTGAN's own weights
        raise ValueError(
            f"{folder}: a CTGAN benchmark run (mode 'ctgan'); its generator.pt holds the "
            "weights of CTGAN's own generator network, not a fedgan generator; its released "
            "records are in samples.csv"
        )
    # folders written before the key existed were trained with the linear output
    settings.setdefault("categorical-output", "linear")
    config = RunConfig.from_mapping({k: v for k, v in settings.items() if k not in _FACTS})
    scenario = load_scenario_once(config)
    partitions = 1 if settings.get("mode") == "centralised" else int(settings["num-partitions"])
    generator, _ = make_models(config, scenario, config.design, num_partitions=partitions)
    generator.load_state_dict(
        torch.load(folder / "generator.pt", weights_only=True, map_location="cpu")
    )
    generator.eval()
    sources = None
    if generator.num_sources:
        path = folder / "sources.csv"
        if not path.is_file():
            raise FileNotFoundError(f"{folder}: no sources.csv (written by runs since 2026-12-05)")
        sources = pd.read_csv(path)
    return TrainedGenerator(generator=generator, scenario=scenario, config=config, sources=sources)
