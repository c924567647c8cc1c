"""Every named choice of a run, defined once.

The run configuration, the federation designs, the strategy and the privacy code all
import their choices from here, so a new value is added in one place and every
validator that lists the allowed values stays in step.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "AGGREGATIONS",
    "AGGREGATION_RULES",
    "BALANCES",
    "DP_MODES",
    "FEDERATIONS",
    "MODEL_KINDS",
    "PER_SOURCE_FEDERATIONS",
    "SOURCE_CONDITIONINGS",
    "Aggregation",
    "AggregationRule",
    "Balance",
    "CategoricalOutput",
    "DPMode",
    "FailMode",
    "Federation",
    "GeneratorActivation",
    "GroupWeightingChoice",
    "GroupWeightingName",
    "ModelKind",
    "ScenarioConditioning",
    "SourceConditioning",
    "allowed",
    "one_of",
]

Federation = Literal["shared-generator", "client-conditional", "shared-critic", "private-critics"]
"""How the federation's objective is formed (see :mod:`fedgan.federation`)."""

Aggregation = Literal["size", "uniform", "group-balanced", "group-dro", "kl"]
"""How much each client's update counts (see :func:`fedgan.federation.client_weights`)."""

Balance = Literal["group", "sample"]
"""How the gradient penalty averages rows: every group equally, or every row equally."""

GroupWeightingName = Literal["proportional", "uniform", "inverse-frequency", "group-dro"]
"""How group means are weighted in a client's losses (see :class:`fedgan.GroupWeighting`)."""

DPMode = Literal["off", "critic", "generator-gradient"]
"""Differential privacy: none, DP-Adam on the critic, or a sanitised generator gradient."""

ModelKind = Literal["mlp", "conv"]
"""Network family: MLPs for vectors, small conv nets for images."""

SourceConditioning = Literal["concat", "film"]
"""How a generator source's embedding conditions the MLP: concatenated to the noise, or
also as per-layer gains and biases from a shared projection of it (FiLM)."""

GroupWeightingChoice = Literal["auto", GroupWeightingName]
"""The run config's ``group-weighting``: a named weighting, or ``auto`` (the design's own)."""

AggregationRule = Literal["mean", "trimmed-mean", "median"]
"""How the weighted client updates are combined (robust rules: :mod:`fedgan.federation`)."""

GeneratorActivation = Literal["relu", "leaky-relu"]
"""The generator's hidden activation."""

CategoricalOutput = Literal["softmax", "gumbel", "linear"]
"""Tables: a generated categorical column's one-hot features as a softmax over its
categories (the form of a real record's), a Gumbel-softmax draw at temperature 0.2 (CTGAN's
output for discrete columns), or unconstrained numbers (argmax on decoding)."""

ScenarioConditioning = Literal["", "none", "group", "mode"]
"""The run config's ``conditioning``: ``""`` keeps the scenario's own."""

FailMode = Literal["crash", "nan", "scale", "lie-counts"]
"""What a faulty client round does in the chaos test (``fail-rate``)."""

FEDERATIONS: tuple[Federation, ...] = get_args(Federation)
PER_SOURCE_FEDERATIONS: tuple[Federation, ...] = ("shared-generator", "client-conditional")
"""Designs whose generator makes rows for a (client, group) source: it carries the group."""
AGGREGATIONS: tuple[Aggregation, ...] = get_args(Aggregation)
BALANCES: tuple[Balance, ...] = get_args(Balance)
DP_MODES: tuple[DPMode, ...] = get_args(DPMode)
MODEL_KINDS: tuple[ModelKind, ...] = get_args(ModelKind)
SOURCE_CONDITIONINGS: tuple[SourceConditioning, ...] = get_args(SourceConditioning)
AGGREGATION_RULES: tuple[AggregationRule, ...] = get_args(AggregationRule)


def one_of(value: object, choices: tuple[str, ...]) -> str:
    """``must be one of [...], got value``: the reason a value outside ``choices`` is refused."""
    return f"must be one of {list(choices)}, got {value!r}"


def allowed(name: str, value: object, choices: tuple[str, ...]) -> str:
    """The message for ``value`` outside ``choices``, naming the argument ``name``."""
    return f"{name} {one_of(value, choices)}"
