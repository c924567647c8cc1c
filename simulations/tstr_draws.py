"""How much of a table run's TSTR score is the draw: fresh synthetic sets from its generator.

    python -m simulations.tstr_draws RUN [RUN ...] [--rows 2500 4180 10000] [--draws 3]

A run scores train-on-synthetic / test-on-real (TSTR) once, on the samples its last
evaluation released. This draws ``--draws`` new synthetic sets of each size in ``--rows``
from the run's saved generator (:func:`fedgan.load`), fits the same classifier on each and
tests it on the run's held-out records, beside the same classifier fitted on the real
training records (TRTR). A gap to TRTR that stays at every size and draw belongs to the
model, not to the sample. Prints one row per run × size; ``--out`` writes it as CSV.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

import fedgan
from fedgan._io import write_csv
from fedgan.evaluation import scenario_tstr, train_on_real
from fedgan.training import use_cpus

__all__ = ["tstr_draws"]


def tstr_draws(
    runs: Sequence[str | Path], *, rows: Sequence[int] = (2500,), draws: int = 3
) -> pd.DataFrame:
    """TSTR AUC of fresh draws from each run's generator, beside train-on-real.

    Parameters
    ----------
    runs : sequence of path
        Finished runs of table scenarios (folders with ``config.json`` and ``generator.pt``).
    rows : sequence of int
        Synthetic records per draw (each ≥ 1).
    draws : int
        Draws per size, seeded 0, 1, …

    Returns
    -------
    pandas.DataFrame
        One row per run × size: ``run``, ``rows``, ``draws``, ``scored`` (draws that could
        be scored), ``tstr_auc`` (their mean), ``tstr_auc_sd``, ``trtr_auc``, ``gap`` (TRTR
        minus the mean TSTR) and ``note`` (why a draw could not be scored, e.g. it held one
        class of the target; its AUC is left out, never counted as chance).

    Raises
    ------
    ValueError
        If ``rows`` or ``draws`` is below 1, or a run's scenario has no TSTR target or no
        held-out records (naming the run).
    """
    if draws < 1 or not rows or min(rows) < 1:
        raise ValueError(f"rows and draws must be >= 1, got rows={list(rows)}, draws={draws}")
    out = []
    for run in runs:
        trained = fedgan.load(run)
        scenario = trained.scenario
        trtr = None if scenario.tstr is None else train_on_real(scenario)
        if trtr is None or scenario.holdout_x is None:
            raise ValueError(
                f"{run}: scenario {scenario.name!r} has no TSTR target or no held-out records; "
                "only table scenarios such as arrests-colour can be scored"
            )
        test = scenario.encoder.decode(scenario.holdout_x)
        for n in rows:
            aucs, notes = [], set()
            for d in range(draws):
                try:
                    fair = scenario_tstr(scenario, trained.sample(int(n), seed=d), test)
                except ValueError as err:  # e.g. a draw holding one class of the target
                    aucs.append(float("nan"))
                    notes.add(str(err))
                    continue
                aucs.append(float(fair.set_index("group").loc["overall", "auc"]))
            scored = pd.Series(aucs, dtype=float).dropna()
            ref = float(trtr.loc["overall", "auc"])
            out.append(
                {
                    "run": str(run),
                    "rows": int(n),
                    "draws": draws,
                    "scored": len(scored),
                    "tstr_auc": scored.mean(),
                    "tstr_auc_sd": scored.std(ddof=1),
                    "trtr_auc": ref,
                    "gap": ref - scored.mean(),
                    "note": "; ".join(sorted(notes)),
                }
            )
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--rows", type=int, nargs="+", default=[2500])
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="write the table as CSV")
    args = ap.parse_args(argv)
    use_cpus(1)
    table = tstr_draws(args.runs, rows=args.rows, draws=args.draws)
    print(table.round(3).to_string(index=False))
    if args.out is not None:
        write_csv(args.out, table)


if __name__ == "__main__":
    main()
