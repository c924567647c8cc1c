"""``fedgan-sources``: how well each (client, group) source of a finished run learnt.

    fedgan-sources outputs/latest [--samples 200] [--seed 0] [--out source-quality.csv]

Draws ``--samples`` rows from every generator source of a client-conditional generator,
judges each row as the run's scorer does, and writes one row per source (see
:func:`fedgan.source_quality`) to ``--out`` (default ``source-quality.csv`` in the run
folder), atomically. Prints, per group, how the sources' high-quality shares spread, whether
they follow the client's row count, and how much of a source's output lands on its own
client's modes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import fedgan
from fedgan._io import write_csv
from fedgan.training import use_cpus

__all__ = ["group_summary", "main"]


def _spearman(a: pd.Series, b: pd.Series) -> float:
    ok = a.notna() & b.notna()
    if ok.sum() < 3 or a[ok].nunique() < 2 or b[ok].nunique() < 2:
        return float("nan")
    return float(np.corrcoef(a[ok].rank(), b[ok].rank())[0, 1])


def _median(values: pd.Series) -> float:
    finite = values.dropna()  # all NaN (e.g. table records have no modes): NaN, quietly
    return float(finite.median()) if len(finite) else float("nan")


def group_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per group over its sources drawn in training (probability > 0).

    Columns: ``sources``, ``untrained`` (sources never drawn), the quartiles of
    ``hq_fraction``, the medians of ``effective_modes``, ``own_mode_share``,
    ``tv_to_client``, ``tv_to_group`` and ``tv_floor``, and the rank
    correlation of ``hq_fraction`` with ``client_rows`` (NaN under 3 sources or no spread).
    """
    rows = []
    for (group, name), part in table.groupby(["group", "group_name"], sort=True):
        drawn = part[part["probability"] > 0]
        q = drawn["hq_fraction"].quantile([0.25, 0.5, 0.75]).to_numpy()
        rows.append(
            {
                "group": group,
                "group_name": name,
                "sources": len(drawn),
                "untrained": len(part) - len(drawn),
                "hq_q25": q[0],
                "hq_median": q[1],
                "hq_q75": q[2],
                "effective_modes": _median(drawn["effective_modes"]),
                "own_mode_share": _median(drawn["own_mode_share"]),
                "tv_to_client": _median(drawn["tv_to_client"]),
                "tv_to_group": _median(drawn["tv_to_group"]),
                "tv_floor": _median(drawn["tv_floor"]),
                "hq_vs_rows": _spearman(drawn["hq_fraction"], drawn["client_rows"]),
            }
        )
    return pd.DataFrame(rows)


def _print(summary: pd.DataFrame, note: str) -> None:
    for r in summary.itertuples(index=False):
        line = (
            f"  {r.group_name}: sources {r.sources} drawn, {r.untrained} never; HQ share "
            f"median {r.hq_median:.1%} (quartiles {r.hq_q25:.1%}–{r.hq_q75:.1%})"
        )
        if np.isfinite(r.effective_modes):
            line += f"; {r.effective_modes:.2f} effective modes a source"
        if np.isfinite(r.own_mode_share):
            line += f"; {r.own_mode_share:.1%} of a source's HQ rows on its client's own modes"
        if np.isfinite(r.tv_to_client):
            line += (
                f"; its modes {r.tv_to_client:.2f} (total variation) from its client's, "
                f"{r.tv_to_group:.2f} from its group's (sampling alone: {r.tv_floor:.2f})"
            )
        if np.isfinite(r.hq_vs_rows):
            line += f"; rank correlation of HQ with the client's rows {r.hq_vs_rows:+.2f}"
        print(line)
    if note:
        print(f"  client rows and own modes unknown: {note}")


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("run", type=Path, help="a finished run's folder")
    ap.add_argument("--samples", type=int, default=200, help="rows drawn per source (>= 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="CSV (default: in the run folder)")
    args = ap.parse_args(argv)
    if args.samples < 10:
        ap.error(f"--samples must be >= 10, got {args.samples}")
    out = args.out or args.run / "source-quality.csv"
    if out.suffix != ".csv":
        ap.error(f"--out must end in .csv, got {out.name!r}")
    use_cpus()
    try:
        table, note = fedgan.source_quality(
            args.run, samples_per_source=args.samples, seed=args.seed
        )
    except (FileNotFoundError, ValueError) as err:
        ap.error(str(err))
    write_csv(out, table)
    print(f"[fedgan] {len(table)} sources × {args.samples} rows judged; table in {out}")
    _print(group_summary(table), note)


if __name__ == "__main__":
    main()
