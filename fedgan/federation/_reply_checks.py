"""What a client's reply must be before anything of it is merged.

Readable metrics with every key of the protocol; the partition it reports is the one it
joined as; the run's groups and partitions; group counts not above what it declared at the
handshake; arrays with exactly the model's keys and shapes, all finite. (How far a reply
moves the model is judged against the others by the aggregator's outlier rule.)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fedgan.federation._replies import Reply
from fedgan.protocol import ClientReport, ReplyStatus, read_report

__all__ = ["check_arrays", "check_reply"]


def check_reply(
    reply: Reply,
    *,
    num_groups: int,
    num_partitions: int,
    handshake: Mapping[int, np.ndarray],
    shapes: Mapping[str, tuple[int, ...]],
) -> tuple[ClientReport | None, str]:
    """The reply's report and why it must be left out (``""`` if it may be merged).

    Parameters
    ----------
    reply : Reply
        As received.
    num_groups, num_partitions : int
        The run's.
    handshake : mapping of int to np.ndarray
        Group counts each partition declared when it joined.
    shapes : mapping of str to tuple of int
        The arrays a reply must hold and their shapes.
    """
    try:
        report = read_report(reply.metrics)
    except ValueError as err:
        return None, str(err)
    if report.partition_id != reply.partition_id:
        return report, (
            f"reports partition id {report.partition_id} but joined as {reply.partition_id}"
        )
    if report.num_groups != num_groups or report.num_partitions != num_partitions:
        return report, (
            f"reports {report.num_groups} groups of {report.num_partitions} partitions; "
            f"the run has {num_groups} and {num_partitions}"
        )
    if report.partition_id >= num_partitions:
        return report, f"partition id {report.partition_id} outside [0, {num_partitions})"
    declared = handshake.get(report.partition_id)
    if declared is None:
        return report, "partition did not declare its rows when the run started"
    if (report.counts > declared).any():
        return report, (
            f"group counts {report.counts.tolist()} exceed those declared at the start "
            f"{declared.tolist()}"
        )
    if report.status is ReplyStatus.STOPPED:
        return report, ""
    return report, check_arrays(reply.arrays, shapes)


def check_arrays(arrays: Mapping[str, np.ndarray], shapes: Mapping[str, tuple[int, ...]]) -> str:
    """Why ``arrays`` differ from the model's ``shapes`` or are not finite (``""``: they are fine)."""
    if set(arrays) != set(shapes):
        missing, extra = sorted(set(shapes) - set(arrays)), sorted(set(arrays) - set(shapes))
        return f"arrays differ from the model: missing {missing[:3]}, unexpected {extra[:3]}"
    for key, value in arrays.items():
        arr = np.asarray(value)
        if tuple(arr.shape) != shapes[key]:
            return f"array {key!r} has shape {tuple(arr.shape)}, expected {shapes[key]}"
        if not np.isfinite(arr).all():
            return f"array {key!r} holds NaN or inf"
    return ""
