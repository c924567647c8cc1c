"""The server's side of a round, Flower-free: check replies, weigh clients, merge.

:class:`Aggregator` holds the federation's generator (and critic, when it travels), the
group counts each client declared when it joined, and the logs. The Flower strategy and
the in-process runner both hand it the round's replies; it orders them by partition id
before anything else, so the merged model does not depend on arrival order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from fedgan.config import RunConfig
from fedgan.data import Scenario
from fedgan.designs import FederationDesign, place_owned
from fedgan.federation._checkpoint import tables_to_text
from fedgan.federation._declared import bound_declarations, follow_reports
from fedgan.federation._group_dro import GroupDroShares, round_shares
from fedgan.federation._replies import Reply, RoundOutcome, critic_feedback
from fedgan.federation._reply_checks import check_reply
from fedgan.federation._robust import HISTORY_ROUNDS, combine, outlier_reasons, update_norms
from fedgan.federation._setup import round_seed
from fedgan.federation._weights import client_weights, group_shares, weight_rows
from fedgan.models import Critic, Generator
from fedgan.protocol import (
    CRITIC,
    GENERATOR,
    OWNED,
    ClientReport,
    ReplyStatus,
    unpack,
)
from fedgan.training import ServerGenerator, WeightAverage

__all__ = ["Aggregator"]

log = logging.getLogger("fedgan")


class Aggregator:
    """The federation's models and the server's bookkeeping.

    Parameters
    ----------
    config : RunConfig
        The run.
    design : FederationDesign
        How replies are merged.
    scenario : Scenario
        Groups and names.
    generator, critic : Generator, Critic
        The federation's initial models (from :func:`fedgan.federation.make_models`).
    declared : dict of int to np.ndarray
        Group counts every client declared when it joined (partition id → ``[G]``).
    num_partitions : int
        Clients of the federation.
    """

    def __init__(
        self,
        config: RunConfig,
        design: FederationDesign,
        scenario: Scenario,
        generator: Generator,
        critic: Critic,
        *,
        declared: Mapping[int, np.ndarray],
        num_partitions: int,
    ) -> None:
        self.config, self.design, self.scenario = config, design, scenario
        self.generator, self.critic = generator, critic
        self.num_partitions, self.num_groups = num_partitions, scenario.num_groups
        # What each client said at the handshake (its replies may not exceed it), and the
        # bounded counts the shares, sampling and weights use (``_declared``).
        self.handshake = {int(k): np.asarray(v, dtype=np.float64) for k, v in declared.items()}
        self.declared, cut = bound_declarations(self.handshake, cap=config.declared_rows_cap)
        for pid in cut:
            log.warning(
                "partition %d declared %s rows per group, over declared-rows-cap=%g x the "
                "median client's total: counted as %s",
                pid,
                self.handshake[pid].tolist(),
                config.declared_rows_cap,
                self.declared[pid].tolist(),
            )
        self.trained: set[int] = set()
        # This round's rows until the run moves them to its round log (take_logs).
        self.weight_log: list[dict[str, Any]] = []
        self.client_log: list[dict[str, Any]] = []
        self.last_learned: np.ndarray | None = None
        # Each group's share of the shared generator's gradient in the last round whose
        # evaluation is due (``shared-generator`` only): the weights at work, measured.
        self.pull: np.ndarray | None = None
        # Sizes of the replies accepted in the last HISTORY_ROUNDS rounds that merged: the
        # outlier rule's memory. One round is not enough: a round where most replies were
        # scaled, after a round that kept few, let scaled replies in, and they then vouched
        # for the next round's (measured: docs/reliability.md).
        self.accepted_history: list[np.ndarray] = []
        self._shapes = design.reply_shapes(generator, critic, self.num_groups)
        # The generator trained here (shared-generator): one optimiser, never copied.
        self.trainer = (
            ServerGenerator(generator, config.train, total_steps=config.total_generator_steps)
            if design.server_trains
            else None
        )
        # What is evaluated and released: the raw generator, or a late average of it.
        self.average = (
            WeightAverage(
                generator,
                decay=config.generator_ema,
                steps_per_round=config.generator_steps,
                start_round=config.ema_start_round(),
            )
            if config.generator_ema > 0
            else None
        )

        # aggregation = "group-dro": the groups' shares, moved each round (made at round 1,
        # from the declared rows then; a resumed run puts its saved shares back).
        self.dro: GroupDroShares | None = None
        self._dro_saved: dict[str, list[float]] | list[float] | None = None

    @property
    def released(self) -> Generator:
        """The generator that is evaluated and written: the average when ``generator-ema`` is on."""
        return self.generator if self.average is None else self.average.model

    # -- what the clients are sent ------------------------------------------------------
    def download(self) -> dict[str, np.ndarray]:
        """The arrays every client starts the next round from."""
        return self.design.download(self.generator, self.critic)

    # -- the mixture ---------------------------------------------------------------------
    def asked_share(self) -> np.ndarray:
        """``π``: ``target-share``, else the real pooled group shares of the declared rows."""
        totals = np.sum(list(self.declared.values()), axis=0)
        present = totals > 0
        target = self.config.target_shares()
        if target is not None:
            if len(target) != self.num_groups:
                raise ValueError(
                    f"target-share has {len(target)} values; the scenario has {self.num_groups} groups"
                )
            return group_shares(target, present)
        return totals / totals.sum()

    def sampling_probs(self) -> np.ndarray | None:
        """Probability of each generator source when sampling (``None``: no sources)."""
        return self.design.sampling_probs(
            self.declared, self.trained, self.asked_share(), self.num_partitions
        )

    def learned_share(self) -> np.ndarray:
        """Group shares the design trains toward, as of the last round that merged."""
        if self.last_learned is not None:
            return self.last_learned
        return self.asked_share()

    @property
    def accepted_norms(self) -> np.ndarray:
        """``[n, 2]`` sizes of the replies accepted in the remembered rounds."""
        if not self.accepted_history:
            return np.zeros((0, 2))
        return np.concatenate(self.accepted_history)

    # -- a round ---------------------------------------------------------------------------
    def aggregate(self, server_round: int, replies: list[Reply]) -> RoundOutcome:
        """Check, weigh and merge the round's replies (ordered by partition id)."""
        outcome, self.pull = RoundOutcome(), None
        checked = [
            (reply, *self._status(reply)) for reply in sorted(replies, key=lambda r: r.partition_id)
        ]
        ok = [
            (rep, reply) for reply, rep, status, _ in checked if status == "ok" and rep is not None
        ]
        norms = np.array([self.update_norms(reply) for _, reply in ok]).reshape(len(ok), 2)
        refused = outlier_reasons(norms, self.accepted_norms, self.config.update_norm_limit)
        outliers = {ok[i][0].partition_id: why for i, why in refused.items()}
        for reply, report, status, reason in checked:
            pid = reply.partition_id
            if pid in outliers:
                status, reason = "rejected", outliers[pid]
            row = {"round": server_round, "partition_id": pid, "status": status, "reason": reason}
            outcome.statuses.append(row)
            metrics = report.metrics if report is not None else {}
            self.client_log.append(row | {k: v for k, v in metrics.items() if k != "status"})
            if status not in ("ok", "stopped"):
                log.warning(
                    "round %d: reply of partition %s %s: %s", server_round, pid, status, reason
                )
        keep = [i for i, (rep, _) in enumerate(ok) if rep.partition_id not in outliers]
        ok = [ok[i] for i in keep]
        if not ok:
            return outcome
        self.accepted_history = [*self.accepted_history, norms[keep]][-HISTORY_ROUNDS:]
        for r, _ in ok:
            self.declared[r.partition_id] = follow_reports(self.declared[r.partition_id], r.counts)
        counts = np.stack([self.declared[r.partition_id] for r, _ in ok])
        w = client_weights(
            counts,
            scheme=self.config.aggregation,
            beta=1.0 if self.config.aggregation == "group-dro" else self.config.beta,
            target_share=self._group_dro([r for r, _ in ok]),
        )
        self._merge([reply for _, reply in ok], [r.partition_id for r, _ in ok], w, server_round)
        if self.average is not None:
            self.average.update(self.generator, server_round)
        outcome.accepted = [r.partition_id for r, _ in ok]
        outcome.weights = w
        self.trained |= set(outcome.accepted)
        loss_weights = np.stack([r.loss_weights for r, _ in ok])
        self.last_learned = self.design.learned_share(w, loss_weights, self.asked_share())
        self.weight_log += weight_rows(
            server_round,
            outcome.accepted,
            w,
            counts,
            shares=None if self.dro is None else self.dro.shares,
        )
        return outcome

    def _group_dro(self, reports: list[ClientReport]) -> list[float] | None:
        """``π`` for this round: ``target-share``, or the group-DRO shares moved by ``reports``."""
        target = self.config.target_shares()
        if self.config.aggregation != "group-dro":
            return None if target is None else list(target)
        totals = np.sum(list(self.declared.values()), axis=0)
        self.dro = round_shares(
            self.dro,
            self._dro_saved,
            reports,
            totals=totals,
            target_share=target,
            step=self.config.dro_step,
        )
        return self.dro.shares.tolist()

    def _status(self, reply: Reply) -> tuple[ClientReport | None, str, str]:
        """The reply's report, its status (ok, failed, rejected, stopped) and the reason."""
        if reply.error:
            return None, "failed", reply.error
        report, reason = check_reply(
            reply,
            num_groups=self.num_groups,
            num_partitions=self.num_partitions,
            handshake=self.handshake,
            shapes=self._shapes,
        )
        if report is None or reason:
            return report, "rejected", reason
        if report.status is ReplyStatus.STOPPED:
            return report, "stopped", "privacy budget would be exceeded"
        return report, "ok", ""

    def update_norms(self, reply: Reply) -> tuple[float, float]:
        """How far a reply moves the shared arrays, and how large its own slices are."""
        return update_norms(reply.arrays, self.design.download(self.generator, self.critic))

    def _merge(
        self, replies: list[Reply], pids: list[int], w: np.ndarray, server_round: int
    ) -> None:
        rule = self.config.aggregation_rule
        if self.trainer is not None:
            self._train_generator(replies, w, server_round)
            return
        for prefix, module in ((GENERATOR, self.generator), (CRITIC, self.critic)):
            parts = [unpack(prefix, r.arrays) for r in replies]
            if not parts[0]:
                continue
            merged = {
                k: combine([p[k] for p in parts], w, rule).to(torch.float32) for k in parts[0]
            }
            module.load_state_dict(merged, strict=False)
        if self.design.per_source:
            table = dict(self.generator.named_parameters())
            with torch.no_grad():
                for reply, pid in zip(replies, pids):
                    place_owned(table, unpack(OWNED, reply.arrays), pid, self.num_groups)

    def _train_generator(self, replies: list[Reply], w: np.ndarray, server_round: int) -> None:
        """Step the shared generator against the round's critics (``shared-generator``)."""
        assert self.trainer is not None
        feedback = [critic_feedback(r, self.critic, self.num_groups) for r in replies]
        seed = round_seed(self.config.seed, server_round, self.num_partitions)
        if self.config.evaluated(server_round):
            self.pull = self.trainer.group_pull(feedback, w, seed=seed)
        rule = self.config.aggregation_rule
        self.trainer.train(
            feedback,
            w,
            steps=self.config.generator_steps,
            seed=seed,
            combine=None if rule == "mean" else (lambda grads, wk: combine(grads, wk, rule)),
        )

    # -- checkpoints -----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """What a resumed run needs: models, who trained, the logs (tensors and text only)."""
        return {
            "generator": {
                k: v.detach().cpu().clone() for k, v in self.generator.state_dict().items()
            },
            "generator_optimizer": {} if self.trainer is None else self.trainer.state(),
            "generator_average": {} if self.average is None else self.average.state(),
            "critic": {k: v.detach().cpu().clone() for k, v in self.critic.state_dict().items()},
            "trained": sorted(self.trained),
            # Fixed-size bookkeeping only: the growing logs go to the appended round log.
            "logs": tables_to_text(
                {
                    "last_learned": None
                    if self.last_learned is None
                    else self.last_learned.tolist(),
                    "accepted_history": [h.tolist() for h in self.accepted_history],
                    "declared": {str(k): v.tolist() for k, v in self.declared.items()},
                    "group_dro_shares": None if self.dro is None else self.dro.state(),
                }
            ),
        }

    def take_logs(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The weight and client rows since the last call, handed over and forgotten."""
        taken = self.weight_log, self.client_log
        self.weight_log, self.client_log = [], []
        return taken

    def restore(self, state: Mapping[str, Any]) -> None:
        """Put back what :meth:`state` saved (the logs stay in the round log)."""
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        if self.trainer is not None:
            self.trainer.restore(state["generator_optimizer"])
        if self.average is not None:
            self.average.restore(state["generator_average"])
        self.trained = set(state["trained"])
        logs = json.loads(state["logs"])
        for pid, counts in logs["declared"].items():  # what replies brought down
            if int(pid) in self.declared:
                self.declared[int(pid)] = follow_reports(
                    self.declared[int(pid)], np.asarray(counts)
                )
        self.weight_log, self.client_log = [], []
        self.last_learned = (
            None if logs["last_learned"] is None else np.asarray(logs["last_learned"])
        )
        self._dro_saved = logs.get("group_dro_shares")
        if self.dro is not None and self._dro_saved is not None:
            self.dro.restore(self._dro_saved)
        saved = logs.get("accepted_history", [logs.get("accepted_norms", [])])  # older: one round
        self.accepted_history = [np.asarray(h, dtype=np.float64).reshape(-1, 2) for h in saved]
