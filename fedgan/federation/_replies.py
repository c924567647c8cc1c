"""A client's reply as the server holds it, what a round did, and what a reply's critic says.

:class:`Reply` is what the Flower strategy or the in-process runner hands the
:class:`~fedgan.federation.Aggregator`; :class:`RoundOutcome` is what the aggregation did;
:func:`critic_feedback` reads a ``shared-generator`` reply into the
:class:`~fedgan.training.CriticFeedback` the server's generator steps against.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from fedgan.models import Critic
from fedgan.protocol import CRITIC, read_report, unpack
from fedgan.training import CriticFeedback

__all__ = ["Reply", "RoundOutcome", "critic_feedback"]


@dataclass(frozen=True)
class Reply:
    """One client's reply as the server received it.

    Attributes
    ----------
    partition_id : int
        The partition the sender joined as (from the handshake, not from its reply).
    arrays : mapping of str to np.ndarray
        Uploaded arrays.
    metrics : mapping of str to object
        Reply metrics (see :mod:`fedgan.protocol`).
    error : str
        Why the client failed (empty when it replied normally).
    """

    partition_id: int
    arrays: Mapping[str, np.ndarray]
    metrics: Mapping[str, object]
    error: str = ""


@dataclass
class RoundOutcome:
    """What one round's aggregation did.

    Attributes
    ----------
    accepted : list of int
        Partition ids whose update was merged, in order.
    weights : np.ndarray
        Their aggregation weights.
    statuses : list of dict
        One row per reply: ``round``, ``partition_id``, ``status`` and ``reason``.
    """

    accepted: list[int] = field(default_factory=list)
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    statuses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def updated(self) -> bool:
        """Whether the model changed this round."""
        return bool(self.accepted)


def critic_feedback(reply: Reply, critic: Critic, num_groups: int) -> CriticFeedback:
    """The reply's critic (loaded into a copy of ``critic``) and the sources it judges.

    The client's declared loss weights are renormalised over its own groups (each client's
    term sums to 1), so a client cannot raise its own weight ``w_k`` by declaring them large.
    """
    report = read_report(reply.metrics)
    judge = copy.deepcopy(critic)
    judge.load_state_dict(unpack(CRITIC, reply.arrays))
    present = np.flatnonzero(report.counts > 0)
    weights = np.clip(np.nan_to_num(report.loss_weights, nan=0.0, posinf=0.0), 0, None)
    if not weights[present].sum() > 0:
        weights = np.ones_like(weights)
    return CriticFeedback(
        critic=judge,
        sources=torch.as_tensor(present + reply.partition_id * num_groups),
        groups=torch.as_tensor(present),
        group_weights=torch.as_tensor(weights, dtype=torch.float32),
    )
