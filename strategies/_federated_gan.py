"""FederatedGAN: a Flower strategy that drives a fedgan :class:`~fedgan.federation.FederatedRun`.

It keeps Flower's Strategy interface (``configure_train``, ``aggregate_train``, …) and
its own ``start`` loop: a handshake round (each node's partition id and group counts),
then per round a seeded choice of partitions, one message per chosen node, and the
round's replies handed to the run's :class:`~fedgan.federation.Aggregator`, which checks
them, orders them by partition id and merges them with minority-aware client weights.
Flower's per-round metric dumps are not logged; the ServerApp prints one line per round.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from logging import INFO

from flwr.app import ArrayRecord, ConfigRecord, Message, MetricRecord, RecordDict
from flwr.serverapp import Grid
from flwr.serverapp.strategy import Result, Strategy
from flwr.supercore import log

from fedgan._records import from_record, to_record
from fedgan.config import RunConfig
from fedgan.federation import FederatedRun, Reply, RoundLine, sample_partitions
from fedgan.protocol import read_report, round_instructions
from strategies._exchange import exchange

__all__ = ["FederatedGAN"]

QUERY, TRAIN = "query", "train"


class FederatedGAN(Strategy):
    """Federated GAN training with fedgan's designs, checks and client weights.

    Parameters
    ----------
    config : RunConfig
        The run (design, aggregation, rounds, sampling of clients).
    on_round : callable, optional
        Called with the run and each round's :class:`~fedgan.federation.RoundLine`.
    timeout : float
        Seconds to wait for a round's replies.
    """

    def __init__(
        self,
        config: RunConfig,
        *,
        on_round: Callable[[FederatedRun, RoundLine], None] | None = None,
        timeout: float = 3600.0,
    ) -> None:
        self.config, self.on_round, self.timeout = config, on_round, timeout
        self.run: FederatedRun | None = None
        self.nodes: dict[int, int] = {}  # partition id → node id
        self._sent: dict[str, int] = {}  # this round's message id → node id

    def summary(self) -> None:
        """Log the design and weighting."""
        c = self.config
        log(
            INFO,
            "\t├──> federation %s, client weights %s (beta=%s)",
            c.federation,
            c.aggregation,
            c.beta,
        )
        log(INFO, "\t└──> fraction-train %s, min-nodes %s", c.fraction_train, c.min_nodes)

    # -- handshake ---------------------------------------------------------------------
    def handshake(self, grid: Grid) -> list[dict[str, object]]:
        """Wait for ``min-nodes`` nodes, ask each for its partition and group counts."""
        while len(nodes := sorted(grid.get_node_ids())) < self.config.min_nodes:
            log(INFO, "waiting for nodes: %d of %d connected", len(nodes), self.config.min_nodes)
            time.sleep(1.0)
        messages = [
            Message(
                content=RecordDict({"config": ConfigRecord({})}), message_type=QUERY, dst_node_id=n
            )
            for n in nodes
        ]
        hellos: list[dict[str, object]] = []
        for reply in exchange(grid, messages, timeout=self.timeout):
            if reply.has_error():
                raise RuntimeError(
                    f"node {reply.metadata.src_node_id} failed the handshake: {reply.error.reason}"
                )
            metrics: dict[str, object] = dict(next(iter(reply.content.metric_records.values())))
            try:
                pid = read_report(metrics).partition_id
            except ValueError as err:
                raise RuntimeError(
                    f"node {reply.metadata.src_node_id} sent an unreadable handshake: {err}"
                ) from err
            self.nodes[pid] = reply.metadata.src_node_id
            hellos.append(metrics)
        return hellos

    # -- Strategy interface ---------------------------------------------------------------
    def configure_train(
        self, server_round: int, arrays: ArrayRecord, config: ConfigRecord, grid: Grid
    ) -> Iterable[Message]:
        """One message per sampled partition's node, carrying the shared weights."""
        resumed = self.run.resumed_from if self.run is not None else 0
        for key, value in round_instructions(server_round, resumed).items():
            config[key] = value
        content = RecordDict({"arrays": arrays, "config": config})
        chosen = sample_partitions(self.config, server_round, list(self.nodes))
        return [
            Message(content=content, message_type=TRAIN, dst_node_id=self.nodes[p]) for p in chosen
        ]

    def aggregate_train(
        self, server_round: int, replies: Iterable[Message]
    ) -> tuple[ArrayRecord | None, MetricRecord | None]:
        """Hand the replies to the run's aggregator; return the new shared weights."""
        assert self.run is not None, "start() builds the run"
        pids = {node: pid for pid, node in self.nodes.items()}
        line = self.run.finish_round(server_round, [_reply(m, pids, self._sent) for m in replies])
        if self.on_round is not None:
            self.on_round(self.run, line)
        if line.outcome is None or not line.outcome.updated:
            return None, None
        return to_record(self.run.aggregator.download()), MetricRecord(line.metrics)  # type: ignore[arg-type]

    def configure_evaluate(
        self, server_round: int, arrays: ArrayRecord, config: ConfigRecord, grid: Grid
    ) -> Iterable[Message]:
        """No federated evaluation: the server scores the generator itself."""
        return []

    def aggregate_evaluate(
        self, server_round: int, replies: Iterable[Message]
    ) -> MetricRecord | None:
        """No federated evaluation."""
        return None

    def start(  # type: ignore[override]
        self,
        grid: Grid,
        initial_arrays: ArrayRecord | None = None,
        num_rounds: int | None = None,
        timeout: float | None = None,
        **_: object,
    ) -> Result:
        """Handshake, then ``num-server-rounds`` rounds; the run is left in :attr:`run`."""
        self.run = FederatedRun.build(self.config, hellos=self.handshake(grid))
        first = self.run.begin()
        result = Result()
        arrays = to_record(self.run.aggregator.download())
        for rnd in range(first, (num_rounds or self.config.num_server_rounds) + 1):
            messages = self.configure_train(rnd, arrays, ConfigRecord(), grid)
            replies = exchange(grid, messages, timeout=timeout or self.timeout)
            # the grid has given each message its id: an error the SuperLink sends in a node's
            # place (node unavailable) names only the message it answers
            self._sent = {m.metadata.message_id: m.metadata.dst_node_id for m in messages}
            new, metrics = self.aggregate_train(rnd, replies)
            if new is not None:
                arrays = result.arrays = new
            if metrics is not None:
                result.train_metrics_clientapp[rnd] = metrics
            if self.run.should_stop:
                break
        return result


def _reply(msg: Message, partitions: dict[int, int], sent: dict[str, int]) -> Reply:
    """A Flower reply as the aggregator takes it; the partition is the one the node joined as.

    ``sent`` maps each instruction's message id to its node: a reply the SuperLink writes
    for a node it found unavailable comes from the SuperLink, not from the node.
    """
    node = msg.metadata.src_node_id
    if node not in partitions:
        node = sent.get(msg.metadata.reply_to_message_id, node)
    pid = partitions.get(node, -1)
    if msg.has_error():
        return Reply(partition_id=pid, arrays={}, metrics={}, error=str(msg.error.reason))
    content = msg.content
    if len(content.array_records) != 1 or len(content.metric_records) != 1:
        return Reply(
            partition_id=pid,
            arrays={},
            metrics={},
            error="reply must hold one ArrayRecord and one MetricRecord",
        )
    arrays = from_record(next(iter(content.array_records.values())))
    return Reply(
        partition_id=pid, arrays=arrays, metrics=dict(next(iter(content.metric_records.values())))
    )
