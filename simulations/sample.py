"""``fedgan-sample``: draw new rows from a finished run's generator and write them to a file.

    fedgan-sample outputs/latest --n 1000 [--group 1] [--seed 0] --out minority.csv

Tables come out as records with the original columns (``.csv``), points as ``x0 … x{d-1}``
columns (``.csv``), images as an ``[n, C, H, W]`` array (``.npy``). The file is written
atomically.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import pandas as pd

import fedgan
from fedgan._io import atomic_write
from fedgan.training import use_cpus


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("run", type=Path, help="a finished run's folder")
    ap.add_argument("--n", type=int, required=True, help="rows to draw")
    ap.add_argument("--group", type=int, default=None, help="one group's id (default: the mixture)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--out", type=Path, required=True, help=".csv (tables, points) or .npy (images)"
    )
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error(f"--n must be >= 1, got {args.n}")
    if args.out.suffix not in (".csv", ".npy"):
        ap.error(f"--out must end in .csv or .npy, got {args.out.name!r}")
    use_cpus()
    try:
        trained = fedgan.load(args.run)
        rows = trained.sample(args.n, group=args.group, seed=args.seed)
    except (FileNotFoundError, ValueError) as err:
        ap.error(str(err))
    if isinstance(rows, np.ndarray) and rows.ndim > 2 and args.out.suffix != ".npy":
        ap.error(f"this run draws images {rows.shape[1:]}: write them to a .npy file")
    buf = io.BytesIO()
    if args.out.suffix == ".npy":
        np.save(buf, rows.to_numpy() if isinstance(rows, pd.DataFrame) else rows)
    else:
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows).add_prefix("x")
        buf.write(frame.to_csv(index=False, lineterminator="\n").encode())
    atomic_write(args.out, lambda f: f.write(buf.getvalue()))
    what = (
        "the mixture"
        if args.group is None
        else f"group {args.group} ({trained.group_names[args.group]})"
    )
    print(f"[fedgan] {args.n} rows of {what} written to {args.out}")


if __name__ == "__main__":
    main()
