"""The wire format: every reply has the same keys; bad replies are refused naming the key."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fedgan.protocol import (
    GROUP_STATS,
    SCALAR_KEYS,
    ReplyStatus,
    group_key,
    pack,
    read_report,
    report_metrics,
    unpack,
)


def test_trained_and_stopped_replies_have_the_same_keys() -> None:
    ok = report_metrics(
        partition_id=2,
        num_partitions=5,
        counts=np.array([10, 3]),
        stats={"wasserstein": np.array([0.1, 0.2])},
        scalars={"loss-d": -0.5},
    )
    stopped = report_metrics(
        partition_id=2, num_partitions=5, counts=np.array([10, 3]), status=ReplyStatus.STOPPED
    )
    assert (
        set(ok)
        == set(stopped)
        == set(SCALAR_KEYS) | {group_key(g, s) for g in (0, 1) for s in GROUP_STATS}
    )
    assert ok["num-examples"] == 13 and stopped["num-examples"] == 0
    assert math.isnan(ok["gp"] if "gp" in ok else ok[group_key(0, "gp")])
    r = read_report(ok)
    assert (r.partition_id, r.num_partitions, r.num_groups, r.status) == (2, 5, 2, ReplyStatus.OK)
    assert r.counts.tolist() == [10, 3]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"num-groups": 0.5}, "num-groups"),
        ({"partition-id": -1.0}, "partition-id"),
        ({"status": 7.0}, "status"),
        ({"group/1/count": -3.0}, "count"),
        ({"group/0/count": float("nan")}, "count"),
        ({"num-partitions": "five"}, "num-partitions"),
    ],
)
def test_bad_reports_name_the_key(change: dict, key: str) -> None:
    m = report_metrics(partition_id=0, num_partitions=2, counts=np.array([1, 1])) | change
    with pytest.raises(ValueError, match=key):
        read_report(m)


def test_missing_key_is_named() -> None:
    m = report_metrics(partition_id=0, num_partitions=2, counts=np.array([1, 1]))
    del m["partition-id"]
    with pytest.raises(ValueError, match="partition-id"):
        read_report(m)


def test_pack_unpack_roundtrip() -> None:
    state = {"a.weight": torch.randn(3, 2), "b": torch.arange(4)}
    arrays = pack("g/", state)
    assert set(arrays) == {"g/a.weight", "g/b"} and arrays["g/b"].flags["C_CONTIGUOUS"]
    back = unpack("g/", arrays | {"c/x": np.zeros(1)})
    assert set(back) == {"a.weight", "b"} and torch.equal(back["a.weight"], state["a.weight"])


def test_round_instructions_round_trip_and_bad_ones_are_named() -> None:
    from fedgan.protocol import read_round_instructions, round_instructions

    assert read_round_instructions(round_instructions(7, 3)) == (7, 3)
    assert read_round_instructions({"server-round": 2}) == (2, 0)
    for bad in ({}, {"server-round": 0}, {"server-round": 1.5}, {"server-round": "2"}):
        with pytest.raises(ValueError, match="server-round"):
            read_round_instructions(bad)
    with pytest.raises(ValueError, match="resumed-from"):
        read_round_instructions({"server-round": 2, "resumed-from": -1})
