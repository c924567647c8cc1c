"""A reply the SuperLink writes for an unavailable node is booked to that node's partition."""

from __future__ import annotations

from flwr.server.superlink.linkstate.utils import create_message_error_unavailable_ins_message

from strategies._federated_gan import _reply


def test_an_error_written_by_the_superlink_finds_its_partition() -> None:
    # Flower's own SuperLink error (src = the SuperLink) answering instruction "m-7"
    err = create_message_error_unavailable_ins_message(reply_to_message_id="m-7", run_id=1)
    partitions = {111: 0, 222: 1}  # node id -> partition id
    reply = _reply(err, partitions, sent={"m-6": 111, "m-7": 222})
    assert reply.partition_id == 1 and reply.error and not reply.arrays
    # without a record of what was sent it stays unknown (-1), never a wrong partition
    assert _reply(err, partitions, sent={}).partition_id == -1
