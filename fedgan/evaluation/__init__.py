"""Scoring a run's generator: per-round tables and the run's verdict (Flower-free).

:class:`Evaluator` samples the generator after a round (drawing sources of a
client-conditional generator with the sampling weights), scores the samples with the
scorer of the scenario's kind (mixtures: modes and high-quality share; digits: a
classifier's classes; tables: train-on-synthetic-test-on-real fairness) and keeps one
row per round × group. :func:`verdict` says in plain words whether the run learned.
"""

from fedgan.evaluation._board import MetricBoard, board_scalars, tensorboard_available
from fedgan.evaluation._evaluator import GROUP_COLUMNS, Evaluator
from fedgan.evaluation._per_sample import PER_SAMPLE_COLUMNS, sample_quality
from fedgan.evaluation._scorers import (
    Score,
    chance_hq,
    coverage_anchors,
    reference_rows,
    score_samples,
)
from fedgan.evaluation._tables import scenario_tstr, train_on_real
from fedgan.evaluation._verdict import Verdict, verdict

__all__ = [
    "GROUP_COLUMNS",
    "PER_SAMPLE_COLUMNS",
    "Evaluator",
    "MetricBoard",
    "Score",
    "Verdict",
    "board_scalars",
    "chance_hq",
    "coverage_anchors",
    "reference_rows",
    "sample_quality",
    "scenario_tstr",
    "score_samples",
    "tensorboard_available",
    "train_on_real",
    "verdict",
]
