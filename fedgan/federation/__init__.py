"""Federated training, Flower-free: designs, client and server rounds, an in-process runner.

A *federation design* (:data:`DESIGNS`) says what a client trains, what it sends and how
the server merges it; see :mod:`fedgan.designs` for why the choice decides
whether a non-IID federation learns the mixture of its clients' data at all.
:func:`client_round` is one client's round, :class:`Aggregator` the server's merge, and
:class:`FederatedRun` a whole run as the Flower ServerApp drives it;
:func:`run_in_process` drives the same pieces in one process with no Flower.
:func:`client_weights` gives the aggregation weights; :class:`GroupDroShares` moves the
groups' shares of them each round under ``aggregation = "group-dro"``.
"""

from fedgan.designs import (
    DESIGNS,
    ClientConditional,
    FederationDesign,
    PrivateCritics,
    SharedCritic,
    SharedGenerator,
    design_for,
)
from fedgan.federation._chaos import SimulatedFailure
from fedgan.federation._checkpoint import checkpoint_dir
from fedgan.federation._checkpoint import clear as clear_checkpoints
from fedgan.federation._client import ClientRoundResult, client_hello, client_round
from fedgan.federation._group_dro import GroupDroShares
from fedgan.federation._inprocess import run_in_process
from fedgan.federation._replies import Reply, RoundOutcome
from fedgan.federation._run import FederatedRun, RoundLine, quality_met, sample_partitions
from fedgan.federation._server import Aggregator
from fedgan.federation._setup import check_split, client_data, load_split, make_models, round_seed
from fedgan.federation._weights import client_weights, group_shares

__all__ = [
    "DESIGNS",
    "Aggregator",
    "ClientConditional",
    "ClientRoundResult",
    "FederatedRun",
    "FederationDesign",
    "GroupDroShares",
    "PrivateCritics",
    "Reply",
    "RoundLine",
    "RoundOutcome",
    "SharedCritic",
    "SharedGenerator",
    "SimulatedFailure",
    "check_split",
    "checkpoint_dir",
    "clear_checkpoints",
    "client_data",
    "client_hello",
    "client_round",
    "client_weights",
    "design_for",
    "group_shares",
    "load_split",
    "make_models",
    "quality_met",
    "round_seed",
    "run_in_process",
    "sample_partitions",
]
