"""How well each generator source learnt: :func:`source_quality`, one row per (client, group).

A client-conditional generator draws each (client, group) source through its own embedding
row. The run's verdict judges the mixture of all of them; with many small clients a user
also needs to know whether the sources are alike or a few are good and most poor, whether
quality follows a client's row count, and whether a source draws its own client's modes (the
conditioning worked) or the whole group's. This module samples every source of a finished
run and judges each row as the run's scorer does (:func:`fedgan.evaluation.sample_quality`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fedgan._trained import TrainedGenerator, load
from fedgan.evaluation import sample_quality
from fedgan.federation._setup import load_split

__all__ = ["SOURCE_COLUMNS", "source_quality"]

SOURCE_COLUMNS = (
    "source",
    "partition_id",
    "group",
    "group_name",
    "probability",
    "client_rows",
    "own_modes",
    "samples",
    "hq_fraction",
    "modes_reached",
    "effective_modes",
    "own_mode_share",
    "tv_to_client",
    "tv_to_group",
    "tv_floor",
    "mean_nearest_sd",
    "mean_top_probability",
)


def _client_rows(run: TrainedGenerator, folder: Path | None) -> tuple[list[np.ndarray] | None, str]:
    """Each client's rows as the run's clients held them, or ``None`` and why not."""
    config = run.config
    if run.sources is None:
        return None, "the generator has no sources"
    clients = int(run.sources["partition_id"].max()) + 1
    try:
        scenario, parts = load_split(config.scenario_spec(clients), config.scenario)
    except ValueError as err:
        return None, f"the split cannot be rebuilt: {err}"
    reported = _reported_counts(folder, run.scenario.num_groups) if folder else None
    if reported is None:
        return None, "no clients.csv to check a rebuilt split against"
    groups = [np.bincount(scenario.group[p], minlength=scenario.num_groups) for p in parts]
    for pid, counts in reported.items():
        if pid >= len(groups) or not np.array_equal(groups[pid], counts):
            # e.g. a deployment: each client read its own file, not the built-in split
            return None, f"client {pid}'s reported group counts differ from the rebuilt split"
    return list(parts), ""


def _reported_counts(folder: Path, num_groups: int) -> dict[int, np.ndarray] | None:
    path = folder / "clients.csv"
    if not path.is_file():
        return None
    cols = ["partition_id", "status"] + [f"group/{g}/count" for g in range(num_groups)]
    table = pd.read_csv(path, usecols=lambda c: c in cols)
    if not set(cols) <= set(table.columns):
        return None
    table = table[table["status"] == "ok"].drop_duplicates("partition_id", keep="last")
    counts = table[cols[2:]].to_numpy(dtype=np.float64)
    return {
        int(pid): counts[i].round().astype(np.int64)
        for i, pid in enumerate(table["partition_id"].to_numpy())
    }


_FLOOR_DRAWS = 100  # multinomial draws that estimate the sampling floor of tv_to_client


def _tv(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation between two histograms (each normalised); NaN if either is empty."""
    if p.sum() <= 0 or q.sum() <= 0:
        return float("nan")
    return float(0.5 * np.abs(p / p.sum() - q / q.sum()).sum())


def _summary(
    quality: pd.DataFrame, mine: np.ndarray | None, group: np.ndarray | None, modes: int
) -> dict[str, float]:
    """One source's figures; ``mine``/``group``: its client's and its group's mode counts."""
    hq = quality[quality["hq"]]
    row: dict[str, float] = {
        "samples": float(len(quality)),
        "hq_fraction": float(quality["hq"].mean()),
        "modes_reached": np.nan,
        "effective_modes": np.nan,
        "own_mode_share": np.nan,
        "tv_to_client": np.nan,
        "tv_to_group": np.nan,
        "tv_floor": np.nan,
        "mean_nearest_sd": float(quality["nearest_sd"].mean()),
        "mean_top_probability": float(quality["top_probability"].mean()),
    }
    if (quality["mode"] < 0).any():  # table records: no modes
        return row
    drawn = np.bincount(hq["mode"].to_numpy(dtype=np.int64), minlength=modes).astype(float)
    p = drawn[drawn > 0] / max(len(hq), 1)
    row["modes_reached"] = float((drawn > 0).sum())
    row["effective_modes"] = float(np.exp(-(p * np.log(p)).sum())) if len(hq) else 0.0
    if mine is not None and mine.sum() > 0 and len(hq):
        row["own_mode_share"] = float(drawn[mine > 0].sum() / len(hq))
        row["tv_to_client"] = _tv(drawn, mine)
        # what a source drawing exactly its client's histogram scores with this many rows
        draws = np.random.default_rng(0).multinomial(len(hq), mine / mine.sum(), size=_FLOOR_DRAWS)
        row["tv_floor"] = float(np.mean([_tv(d.astype(float), mine) for d in draws]))
    if group is not None:
        row["tv_to_group"] = _tv(drawn, group)
    return row


def source_quality(
    run: TrainedGenerator | str | Path, *, samples_per_source: int = 200, seed: int = 0
) -> tuple[pd.DataFrame, str]:
    """Sample every source of a finished run and judge each source's rows.

    Parameters
    ----------
    run : TrainedGenerator, str or Path
        A run folder (as :func:`fedgan.load` takes) or a loaded run. A folder also lets the
        clients' rows be rebuilt and checked against its ``clients.csv``.
    samples_per_source : int
        Rows drawn from each source (≥ 10).
    seed : int
        Same seed, same table.

    Returns
    -------
    table : pandas.DataFrame
        One row per source, columns :data:`SOURCE_COLUMNS`: the source's client and group,
        its sampling probability (0: never drawn in training, its row is untrained),
        ``client_rows`` (the client's rows of that group) and ``own_modes`` (how many modes
        they cover), the share of high-quality rows, ``modes_reached`` and
        ``effective_modes`` (exp of the entropy of its high-quality rows' modes),
        ``own_mode_share`` (of its high-quality rows, the share on modes its own client
        holds in that group), ``tv_to_client`` and ``tv_to_group`` (total variation between
        its high-quality rows' mode histogram and its client's rows of the group, or the
        whole group's rows over all clients: a source that follows its own client is nearer
        the first), ``tv_floor`` (the mean ``tv_to_client`` of a source that draws exactly
        its client's histogram, from as many high-quality rows: sampling noise alone),
        ``mean_nearest_sd`` (mixtures) and ``mean_top_probability`` (images). Tables'
        records have no modes: those columns are NaN.
    note : str
        Why ``client_rows`` and ``own_modes`` are NaN, or ``""`` when they are known.

    Raises
    ------
    ValueError
        If ``samples_per_source`` < 10 or the run's generator has no sources.
    """
    if isinstance(samples_per_source, bool) or not isinstance(samples_per_source, int):
        raise ValueError(f"samples_per_source must be an integer >= 10, got {samples_per_source!r}")
    if samples_per_source < 10:
        raise ValueError(f"samples_per_source must be an integer >= 10, got {samples_per_source}")
    folder = None if isinstance(run, TrainedGenerator) else Path(run).expanduser()
    trained = run if isinstance(run, TrainedGenerator) else load(run)
    if trained.sources is None:
        raise ValueError(
            "this run's generator has no sources (one shared generator without per-client "
            "conditioning): judge it by its verdict; per-source quality needs a design with "
            "sources, e.g. federation = 'shared-generator'"
        )
    parts, note = _client_rows(trained, folder)
    sc = trained.scenario
    modes = sc.num_modes
    by_group = None  # each group's mode counts over every client's rows
    if parts is not None:
        pooled = np.concatenate(parts)
        by_group = [
            np.bincount(sc.mode[pooled[sc.group[pooled] == g]], minlength=modes).astype(float)
            for g in range(sc.num_groups)
        ]
    rows = []
    for i, src in enumerate(trained.sources.itertuples(index=False)):
        g = int(src.group)
        flat = trained._draw(
            samples_per_source, group=None, source=int(src.source), seed=seed * 1_000_003 + i
        )
        mine = None
        if parts is not None:
            own_rows = parts[int(src.partition_id)]
            own_rows = own_rows[sc.group[own_rows] == g]
            mine = np.bincount(sc.mode[own_rows], minlength=modes).astype(float)
        quality = sample_quality(sc, flat, seed=int(trained.config.seed))
        rows.append(
            {
                "source": int(src.source),
                "partition_id": int(src.partition_id),
                "group": g,
                "group_name": sc.group_name(g),
                "probability": float(src.probability),
                "client_rows": np.nan if mine is None else float(mine.sum()),
                "own_modes": np.nan if mine is None else float((mine > 0).sum()),
            }
            | _summary(quality, mine, None if by_group is None else by_group[g], modes)
        )
    return pd.DataFrame(rows, columns=list(SOURCE_COLUMNS)), note
