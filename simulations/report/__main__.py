"""``python -m simulations.report`` (the same as ``fedgan-report``)."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from simulations.report import RunFolderError, build_report


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (``fedgan-report``)."""
    import simulations.report as pkg

    ap = argparse.ArgumentParser(
        description=pkg.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
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
