"""Coverage and fairness metrics (Flower-free).

* :func:`mode_coverage` — mixtures with known modes (VEEGAN/PacGAN): a sample is
  high quality (HQ) within 3 sds of its nearest mode; a mode is captured if it is
  the nearest mode of at least one HQ sample; reverse KL of the HQ mode histogram
  against the true weights; everything also per group.
* :func:`prdc` — sample-based precision/recall (k = 3) and density/coverage (k = 5)
  for real data, per group, with each real sample's "covered" flag.
* :func:`digits_classifier` — the digits evaluator network: class probabilities with a
  "not a digit" class, and penultimate features for :func:`frechet_distance`.
* :func:`frechet_distance` — the FID formula on any features; :func:`kernel_distance` —
  KID's unbiased MMD² on any features (no small-set bias).
* :func:`wasserstein_1d` — W1 by the CDF formula, per feature.
* :func:`disaggregate` — fairlearn ``MetricFrame`` by group with bootstrap CIs,
  differences and ratios; :func:`tstr_fairness` — train on one table (synthetic), test
  on another (real held-out): accuracy, balanced accuracy, AUC and fairness gaps by group.
* :func:`table_quality` — SDMetrics' quality report, overall and per group;
  :func:`distance_to_closest_record` — generated vs held-out rows' nearest training row.
"""

from fedgan.metrics._classify import HQ_THRESHOLD, DigitsClassifier, digits_classifier, split_digits
from fedgan.metrics._coverage import HQ_SDS, ModeCoverage, mode_coverage, nearest_mode
from fedgan.metrics._fairness import disaggregate, tstr_fairness
from fedgan.metrics._frechet import frechet_distance
from fedgan.metrics._kernel import kernel_distance
from fedgan.metrics._prdc import PRDC, pairwise_distances, prdc, precise_rows
from fedgan.metrics._tables import RecordDistances, distance_to_closest_record, table_quality
from fedgan.metrics._wasserstein import wasserstein_1d

__all__ = [
    "HQ_SDS",
    "HQ_THRESHOLD",
    "PRDC",
    "DigitsClassifier",
    "ModeCoverage",
    "RecordDistances",
    "digits_classifier",
    "disaggregate",
    "distance_to_closest_record",
    "frechet_distance",
    "kernel_distance",
    "mode_coverage",
    "nearest_mode",
    "pairwise_distances",
    "prdc",
    "precise_rows",
    "split_digits",
    "table_quality",
    "tstr_fairness",
    "wasserstein_1d",
]
