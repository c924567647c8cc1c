"""Scoring generated digits the way the field scores images, with a digits evaluator network.

* **High quality**: the evaluator gives one digit at least :data:`HQ_THRESHOLD` of its
  probability (it also has a "not a digit" class). Classes (modes) are held and captured,
  and group masses measured, on high-quality samples only; anchors: moment-matched Gaussian
  noise (chance) and held-out real digits (real).
* **Fréchet distance** in the evaluator's penultimate features (the FID recipe on a digits
  network), overall and per class (intra-FD, averaged over each group's classes); anchors:
  held-out real digits (the floor) and noise (the ceiling). Generated, held-out and noise
  sets have the same size, because the estimate is biased upward for small sets. Per class
  too: a class's generated rows are cut to its held-out rows' count, and the class's floor
  (``intra_fd_floor``: held-out real rows of the class against its reference rows) is at the
  same size. A rare class has few real rows, so its floor is high (the minority digits' is
  about 4.5 times the majority's at 5% of the rows): read a group's intra-FD against its own
  floor.
* **Kernel distance** (KID's unbiased MMD², cubic kernel) in the same features, overall and
  per class (``intra_kid``, every generated row of the class against its reference rows):
  unbiased, so a rare class is not penalised for its few real rows and the groups can be
  compared directly; anchors as for the Fréchet distance (``intra_kid_floor``: every held-out
  real row of the class against its reference rows, 0 on average; how far it strays from 0
  shows the estimate's noise for that class's few rows).
* **Precision, recall, density, coverage** in the same feature space, per group, on equal
  sizes, with the same anchors.
* **Memorisation**: the median distance from a generated sample to its nearest real row over
  the median distance from a real row to its nearest other real row (features); well below 1
  means samples sit on top of real rows.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd

from fedgan.data import Scenario
from fedgan.metrics import (
    HQ_THRESHOLD,
    digits_classifier,
    frechet_distance,
    kernel_distance,
    pairwise_distances,
    prdc,
)

__all__ = ["image_anchors", "score_images"]

_MIN_CLASS_ROWS = 10  # fewer generated rows of a class than this: no intra-FD for it


def _reference(scenario: Scenario, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Real rows compared against, and held-out real rows (the anchors' "real")."""
    from fedgan.evaluation._scorers import reference_rows

    ref = reference_rows(scenario, seed)
    rest = np.setdiff1d(np.arange(len(scenario.x)), ref)
    return ref, np.random.default_rng(seed + 1).permutation(rest)


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1)


@functools.lru_cache(maxsize=8)
def _real_features(scenario: Scenario, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The evaluator's features of the reference rows and of the held-out rows (once a seed)."""
    clf = digits_classifier(0)
    ref, held = _reference(scenario, seed)
    return clf.features(_flat(scenario.x[ref])), clf.features(_flat(scenario.x[held]))


@functools.lru_cache(maxsize=256)
def _class_floor(scenario: Scenario, seed: int, c: int, size: int) -> float:
    """Held-out real rows of class ``c`` (the first ``size``) against its reference rows."""
    ref, held = _reference(scenario, seed)
    f_ref, f_held = _real_features(scenario, seed)
    return frechet_distance(f_held[scenario.mode[held] == c][:size], f_ref[scenario.mode[ref] == c])


@functools.lru_cache(maxsize=64)
def _class_kid_floor(scenario: Scenario, seed: int, c: int) -> float:
    """Every held-out real row of class ``c`` against its reference rows (0 on average)."""
    ref, held = _reference(scenario, seed)
    f_ref, f_held = _real_features(scenario, seed)
    return kernel_distance(f_held[scenario.mode[held] == c], f_ref[scenario.mode[ref] == c])


@functools.lru_cache(maxsize=8)
def image_anchors(scenario: Scenario, seed: int) -> dict[str, float]:
    """What noise (chance) and held-out real digits score, on equal-sized sets."""
    clf = digits_classifier(0)
    _, held = _reference(scenario, seed)
    real_ref, f_held = _real_features(scenario, seed)
    x = _flat(scenario.x)
    rng = np.random.default_rng(seed + 2)
    noise = np.clip(rng.multivariate_normal(x.mean(0), np.cov(x.T), size=len(held)), -1, 1)
    f_noise = clf.features(noise)
    between = pairwise_distances(real_ref, real_ref)
    np.fill_diagonal(between, np.inf)
    return {
        "real_nearest": float(np.median(between.min(axis=1))),  # memorisation's yardstick
        "chance_hq": float(clf.high_quality(noise).mean()),
        "real_hq": float(clf.high_quality(x[held]).mean()),
        "fd_floor": frechet_distance(f_held, real_ref),
        "fd_noise": frechet_distance(f_noise, real_ref),
        "kid_floor": kernel_distance(f_held, real_ref),
        "kid_noise": kernel_distance(f_noise, real_ref),
        "chance_coverage": prdc(real_ref, f_noise).coverage,
        "real_coverage": prdc(real_ref, f_held).coverage,
        "anchor_rows": float(len(held)),
    }


def _group_mean(per_class: np.ndarray, of_group: np.ndarray) -> float:
    """Mean over the group's classes that could be scored; NaN when none could."""
    values = per_class[of_group]
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def score_images(
    scenario: Scenario, x: np.ndarray, seed: int
) -> tuple[pd.DataFrame, dict[str, float], dict[str, str]]:
    """Per-group table, overall numbers and notes for ``[N, 64]`` generated digits."""
    clf = digits_classifier(0)
    anchors = image_anchors(scenario, seed)
    x = _flat(x)
    n, m = len(x), int(anchors["anchor_rows"])
    probs = clf.probs(x)
    pred, hq = probs.argmax(axis=1), probs.max(axis=1) >= HQ_THRESHOLD
    classes, groups = scenario.num_modes, np.arange(scenario.num_groups)
    per_class = np.bincount(pred[hq], minlength=classes)
    held = per_class >= np.maximum(0.2 * n * scenario.mode_weights, 1.0)
    of_group = scenario.mode_groups[pred]
    notes: dict[str, str] = {}
    share = np.bincount(of_group[hq], minlength=len(groups)) / max(int(hq.sum()), 1)
    if not hq.any():
        share = np.full(len(groups), np.nan)
        notes["mass_ratio"] = "no generated sample is a clear digit"
    ref, held_rows = _reference(scenario, seed)
    (f_ref, _), f_gen = _real_features(scenario, seed), clf.features(x)
    ref_class, held_class = scenario.mode[ref], scenario.mode[held_rows]
    intra, floor = np.full(classes, np.nan), np.full(classes, np.nan)
    intra_kid, kid_floor = np.full(classes, np.nan), np.full(classes, np.nan)
    for c in range(classes):
        if (pred == c).sum() >= _MIN_CLASS_ROWS and (ref_class == c).sum() >= 2:
            intra_kid[c] = kernel_distance(f_gen[pred == c], f_ref[ref_class == c])
            kid_floor[c] = _class_kid_floor(scenario, seed, c)
        # equal sizes: the class's generated rows and its floor's held-out rows, cut to the
        # smaller count, against the same reference rows of the class
        size = min(int((pred == c).sum()), int((held_class == c).sum()))
        if size >= _MIN_CLASS_ROWS and (ref_class == c).sum() >= 2:
            intra[c] = frechet_distance(f_gen[pred == c][:size], f_ref[ref_class == c])
            floor[c] = _class_floor(scenario, seed, c, size)
    table = pd.DataFrame(
        {
            "modes": [int((scenario.mode_groups == g).sum()) for g in groups],
            "modes_captured": [
                int(((per_class > 0) & (scenario.mode_groups == g)).sum()) for g in groups
            ],
            "modes_held": [int((held & (scenario.mode_groups == g)).sum()) for g in groups],
            "hq_fraction": [
                float(hq[of_group == g].mean()) if (of_group == g).any() else np.nan for g in groups
            ],
            "generated_share": share,
            "real_share": scenario.group_weights,
            "intra_fd": [_group_mean(intra, scenario.mode_groups == g) for g in groups],
            "intra_fd_floor": [_group_mean(floor, scenario.mode_groups == g) for g in groups],
            "intra_kid": [_group_mean(intra_kid, scenario.mode_groups == g) for g in groups],
            "intra_kid_floor": [_group_mean(kid_floor, scenario.mode_groups == g) for g in groups],
        },
        index=pd.Index(groups, name="group"),
    )
    for g, (key, values, whose) in itertools.product(
        groups,
        (
            ("intra_fd", intra, "generated (or held-out real)"),
            ("intra_kid", intra_kid, "generated"),
        ),
    ):
        short = [c for c in np.flatnonzero(scenario.mode_groups == g) if not np.isfinite(values[c])]
        if short:
            notes[f"group/{g}/{key}"] = (
                f"classes {' '.join(map(str, short))} have fewer than {_MIN_CLASS_ROWS} {whose} rows"
            )
    table["mass_ratio"] = table["generated_share"] / table["real_share"]
    pr = prdc(f_ref, f_gen[:m], real_groups=scenario.group[ref])
    table = table.join(pr.per_group[["precision", "recall", "coverage", "fake_count"]])
    nearest_gen = pairwise_distances(f_gen[:m], f_ref).min(axis=1)
    overall = {
        "hq": float(hq.mean()),
        "modes_captured": float((per_class > 0).sum()),
        "modes_held": float(held.sum()),
        "modes": float(classes),
        "fd": frechet_distance(f_gen[:m], f_ref),
        "kid": kernel_distance(f_gen[:m], f_ref),
        "precision": pr.precision,
        "recall": pr.recall,
        "density": pr.density,
        "coverage": pr.coverage,
        "memorisation_ratio": float(np.median(nearest_gen) / anchors["real_nearest"]),
        # the evaluator's own accuracy on held-out real digits: how far its labels can be trusted
        "evaluator_accuracy": clf.test_accuracy,
    } | {k: v for k, v in anchors.items() if k not in ("anchor_rows", "real_nearest")}
    return table, overall, notes
