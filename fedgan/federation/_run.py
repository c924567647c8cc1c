"""One federated run, Flower-free: the server's models, its aggregator and its evaluator.

:class:`FederatedRun` is what both the Flower ServerApp and :func:`run_in_process`
drive round by round (:func:`~fedgan.federation.run_in_process` runs every client itself,
one after another, with the same client code the Flower ClientApp calls). The same seed
gives the same files whichever drives it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fedgan.config import RunConfig
from fedgan.console import PREFIX, round_line
from fedgan.data import Scenario
from fedgan.designs import FederationDesign
from fedgan.evaluation import Evaluator, MetricBoard, verdict
from fedgan.federation._checkpoint import (
    append_round_log,
    checkpoint_dir,
    load_server,
    read_round_log,
    round_log_tables,
    save_server,
)
from fedgan.federation._group_dro import shares_line
from fedgan.federation._participation import clients_per_round, participation, too_few_rounds
from fedgan.federation._replies import Reply, RoundOutcome
from fedgan.federation._server import Aggregator
from fedgan.federation._setup import load_scenario_once, make_models
from fedgan.protocol import read_report
from fedgan.results import RunFiles, run_settings, samples_frame
from fedgan.training import resolve_device

__all__ = ["FederatedRun", "RoundLine", "quality_met", "sample_partitions"]

log = logging.getLogger("fedgan")


def sample_partitions(config: RunConfig, server_round: int, partitions: list[int]) -> list[int]:
    """The partitions that train in ``server_round``: all, or a seeded ``fraction-train`` of them."""
    ids = sorted(partitions)
    k = clients_per_round(config, len(ids))
    if k == len(ids):
        return ids
    rng = np.random.default_rng([config.seed, server_round])
    return sorted(int(i) for i in rng.choice(ids, size=k, replace=False))


@dataclass
class RoundLine:
    """What one round did, for the console and the logs."""

    server_round: int
    outcome: RoundOutcome | None
    metrics: dict[str, float]
    seconds: float


@dataclass
class FederatedRun:
    """The server's side of a run: models, aggregation, evaluation, timing.

    Build it with :meth:`build` from the clients' handshake metrics.
    """

    config: RunConfig
    design: FederationDesign
    scenario: Scenario
    aggregator: Aggregator
    evaluator: Evaluator
    num_partitions: int
    started: float = field(default_factory=time.perf_counter)
    lines: list[RoundLine] = field(default_factory=list)
    resumed_from: int = 0
    met_streak: int = 0
    first_met: tuple[int, float] | None = None  # (round, seconds) the target first held
    _logged: int = 0  # evaluation rows already in the round log
    board: MetricBoard | None = None  # TensorBoard scalars (tensorboard = true)

    @classmethod
    def build(cls, config: RunConfig, *, hellos: Sequence[Mapping[str, object]]) -> FederatedRun:
        """From the clients' handshake replies (partition ids, partitions, group counts).

        Raises
        ------
        ValueError
            If the clients disagree on the number of partitions or report the same id twice.
        """
        reports = [read_report(h) for h in hellos]
        sizes = {r.num_partitions for r in reports}
        if len(sizes) != 1:
            raise ValueError(f"clients disagree on num-partitions: {sorted(sizes)}")
        ids = [r.partition_id for r in reports]
        if len(set(ids)) != len(ids):
            raise ValueError(f"two clients share a partition id: {sorted(ids)}")
        k = sizes.pop()
        if config.num_partitions and config.num_partitions != k:
            raise ValueError(
                f"num-partitions is {config.num_partitions} in the run config but the clients "
                f"say {k}; leave it 0 or make them agree"
            )
        design = config.design
        scenario = load_scenario_once(config)
        generator, critic = make_models(config, scenario, design, num_partitions=k)
        device = resolve_device(config.device)
        generator.to(device)
        aggregator = Aggregator(
            config,
            design,
            scenario,
            generator,
            critic,
            declared={r.partition_id: r.counts for r in reports},
            num_partitions=k,
        )
        aggregator.asked_share()  # a target-share of the wrong length stops the run here
        if (few := too_few_rounds(config, k)) is not None:
            log.warning("%s", few)
        evaluator = Evaluator(
            scenario, samples=config.eval_samples, seed=config.seed, device=device
        )
        return cls(config, design, scenario, aggregator, evaluator, k)

    def begin(self) -> int:
        """Score the untrained generator, or (``resume``) restore the last checkpoint.

        Returns the first round to run.
        """
        state = load_server(self.config) if self.config.resume else None
        if state is None:
            if self.config.resume:
                log.warning(
                    "resume: no checkpoint in %s; starting at round 1", checkpoint_dir(self.config)
                )
            self.evaluate(0, force=True)
            return 1
        self.resumed_from = int(state["round"])
        logged = read_round_log(self.config, self.resumed_from)
        self.aggregator.restore(state["aggregator"])
        evaluator = state["evaluator"]
        if isinstance(evaluator, str):  # checkpoints written before it became a tensor
            evaluator = json.loads(evaluator)
        self.evaluator.restore(evaluator, rows=[row for e in logged for row in e["evaluation"]])
        self._logged = len(self.evaluator.rows)
        log.info("resume: continuing after round %d", self.resumed_from)
        return self.resumed_from + 1

    def evaluate(self, server_round: int, *, force: bool = False) -> dict[str, float]:
        """Score the generator if this round is due (``eval-every``, the last, or ``force``)."""
        due = self.config.evaluated(server_round)  # the pull is measured on due rounds only
        if not (force or due):
            return {}
        metrics = self.evaluator.evaluate(
            server_round,
            self.aggregator.released,
            source_probs=self.aggregator.sampling_probs(),
            target_share=self.aggregator.learned_share(),
            generator_pull=self.aggregator.pull if due else None,
        )
        if self.config.tensorboard:
            if self.board is None:  # beside the checkpoint while the run goes; moved in at the end
                self.board = MetricBoard(checkpoint_dir(self.config) / "tensorboard")
                log.info("TensorBoard: tensorboard --logdir %s", self.board.logdir)
            self.board.write(
                server_round, [r for r in self.evaluator.rows if r["round"] == server_round]
            )
        return metrics

    def finish_round(self, server_round: int, replies: list[Reply]) -> RoundLine:
        """Aggregate the round's replies, evaluate, and record the line."""
        outcome = self.aggregator.aggregate(server_round, replies)
        metrics = self.evaluate(server_round)
        weights, clients = self.aggregator.take_logs()
        append_round_log(
            self.config,
            server_round,
            {
                "weights": weights,
                "clients": clients,
                "evaluation": self.evaluator.rows[self._logged :],
            },
        )
        self._logged = len(self.evaluator.rows)
        save_server(
            self.config,
            server_round,
            {
                "aggregator": self.aggregator.state(),
                "evaluator": self.evaluator.state(),
            },
        )
        line = RoundLine(server_round, outcome, metrics, time.perf_counter() - self.started)
        self.lines.append(line)
        if metrics:
            met = quality_met(metrics, target_hq=self.config.target_hq)
            self.met_streak = self.met_streak + 1 if met else 0
            if met and self.first_met is None:
                self.first_met = (server_round, line.seconds)
        return line

    @property
    def should_stop(self) -> bool:
        """Whether ``stop-when-met`` is on and the target held that many evaluations in a row."""
        return bool(self.config.stop_when_met) and self.met_streak >= self.config.stop_when_met

    def timing(self) -> str:
        """``timing.csv``: seconds since the run was built, per round.

        Wall time differs from run to run, so this file stays out of the results' promise
        of the same bits for the same seed.
        """
        rows = [f"{line.server_round},{line.seconds:.3f}" for line in self.lines]
        return "round,seconds\n" + "\n".join(rows) + "\n"

    def check_trained(self, clients: pd.DataFrame) -> None:
        """Raise ``RuntimeError`` saying why (from ``clients``) if no update was ever merged."""
        if self.aggregator.trained:
            return
        log_rows = clients.to_dict("records") if "reason" in clients else []
        reasons = sorted(
            {f"{r['status']}: {r['reason']}" for r in log_rows if isinstance(r["reason"], str)}
        )
        raise RuntimeError(
            f"no client update was merged in any of the {self.config.num_server_rounds} rounds, "
            f"so the generator is untrained; replies: {'; '.join(reasons[:5]) or 'none arrived'}"
        )

    def print_round(self, line: RoundLine, *, label: str = PREFIX, clients: bool = True) -> None:
        """Print a round's console line (rounds that were scored have one), led by ``label``."""
        if not line.metrics:
            return
        accepted = len(line.outcome.accepted) if line.outcome else 0
        text = round_line(
            line.server_round,
            self.config.num_server_rounds,
            line.metrics,
            seconds=line.seconds,
            clients=accepted if clients else None,
            group_names=self.scenario.group_names,
        )
        print(text.replace(PREFIX, label), flush=True)

    @property
    def elapsed(self) -> float:
        """Seconds since the run was built."""
        return time.perf_counter() - self.started

    def tables(self) -> dict[str, pd.DataFrame]:
        """``metrics``, ``weights`` and ``clients`` tables (the last two from the round log)."""
        return {"metrics": self.evaluator.table()} | round_log_tables(
            self.config, ("weights", "clients")
        )

    def generator_state(self) -> dict[str, Any]:
        """The final generator's weights, on the CPU."""
        return {k: v.detach().cpu() for k, v in self.aggregator.released.state_dict().items()}

    def files(self, *, mode: str, reference: pd.DataFrame | None = None) -> RunFiles:
        """Everything the run writes, with its verdict (``mode``: federated or centralised).

        Raises
        ------
        RuntimeError
            If the generator was never updated (nothing to write but an untrained model).
        """
        tables = self.tables()
        self.check_trained(tables["clients"])
        design = "centralised" if mode == "centralised" else self.config.federation
        last = int(tables["metrics"]["round"].max())
        title = f"fedgan verdict: {self.config.scenario}, {design}, round {last}, seed {self.config.seed}"
        judged = verdict(tables["metrics"], title=title, reference=reference)
        met = self.first_met[0] if self.first_met else None
        judged.facts["first_round_target_met"] = met
        if self.config.stop_when_met and last < self.config.num_server_rounds:
            judged.lines.append(
                f"  Stopped after round {last} of {self.config.num_server_rounds}: the target held "
                f"{self.config.stop_when_met} evaluation(s) in a row (first met at round {met})."
            )
        if mode != "centralised":
            line, facts = participation(tables["clients"], self.num_partitions, rounds=last)
            judged.lines.append(line)
            judged.facts |= facts
        if self.aggregator.dro is not None:
            line, facts = shares_line(
                self.aggregator.dro, tables["weights"], self.scenario.group_names
            )
            judged.lines.append(line)
            judged.facts |= facts
        samples = self.evaluator.last_samples
        if self.board is not None:
            self.board.close()
        return RunFiles(
            settings=run_settings(
                self.config, **{"num-partitions": self.num_partitions, "mode": mode}
            ),
            metrics=tables["metrics"],
            verdict=judged,
            generator_state=self.generator_state(),
            samples=None if samples is None else samples_frame(self.scenario, samples),
            weights=tables["weights"] if mode != "centralised" else None,
            clients=tables["clients"] if mode != "centralised" else None,
            extra={"timing.csv": self.timing()} | self._sources_file(),
            folders={} if self.board is None else {"tensorboard": self.board.logdir},
        )

    def _sources_file(self) -> dict[str, str]:
        """``sources.csv``: each generator source's (client, group) and sampling probability."""
        probs = self.aggregator.sampling_probs()
        if probs is None:
            return {}
        g = self.scenario.num_groups
        table = pd.DataFrame(
            {
                "source": np.arange(len(probs)),
                "partition_id": np.arange(len(probs)) // g,
                "group": np.arange(len(probs)) % g,
                "group_name": [self.scenario.group_names[i % g] for i in range(len(probs))],
                "probability": probs,
            }
        )
        return {"sources.csv": table.to_csv(index=False, lineterminator="\n")}


def quality_met(metrics: Mapping[str, float], *, target_hq: float) -> bool:
    """Whether the quality target holds.

    Every mode held, HQ at least ``target_hq`` (mixtures), and every group's mass within
    [0.8, 1.25] of its real share.
    """
    if "modes_held" in metrics and metrics["modes_held"] < metrics["modes"]:
        return False
    if "hq" in metrics and metrics["hq"] < target_hq:
        return False
    ratios = [v for k, v in metrics.items() if k.endswith("/mass_ratio")]
    return bool(ratios) and all(0.8 <= r <= 1.25 for r in ratios)
