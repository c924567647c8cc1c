"""Fairness report: Markdown tables and PNG figures from one or many run folders.

    fedgan-report RUN_DIR [RUN_DIR ...] [--out REPORT_DIR]
    python -m simulations.report outputs/latest --out outputs/report

The report starts with each run's verdict and the definition of every metric; then, for
each run, its final per-group numbers with 95% bootstrap CIs (mass ratio, modes held, HQ
share, coverage, and the differences and ratios between groups), for tables the
train-on-synthetic-test-on-real fairness by group (fairlearn), the aggregation weights
(only the rounds where they change), the per-round table and the figures. Several runs
of one setting with different seeds get a mean ± sd table. A folder that is missing,
incomplete, or holds a cut-off table is refused before anything is written.
"""

from simulations.report._build import DEFINITIONS, build_report, collapse_weights
from simulations.report._load import RunFolderError, load_run

__all__ = ["DEFINITIONS", "RunFolderError", "build_report", "collapse_weights", "load_run"]
