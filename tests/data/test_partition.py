"""Federated splits: determinism, skew, the minority partitioner, summaries."""

from __future__ import annotations

import numpy as np
import pytest

from fedgan.data import (
    MinorityConcentratedPartitioner,
    format_partition_summary,
    load_scenario,
    partition_scenario,
    partition_summary,
    scenario_spec,
)


def _split(name: str, **over: object) -> tuple:
    spec = scenario_spec(name, **over)
    sc = load_scenario(spec)
    return sc, partition_scenario(sc, spec)


def _mean_kl(sc, parts) -> float:  # type: ignore[no-untyped-def]
    glob = np.bincount(sc.mode, minlength=sc.num_modes) / len(sc.mode)
    kls = []
    for idx in parts:
        p = np.bincount(sc.mode[idx], minlength=sc.num_modes) / len(idx)
        nz = p > 0
        kls.append(float((p[nz] * np.log(p[nz] / glob[nz])).sum()))
    return float(np.mean(kls))


def test_every_row_assigned_once() -> None:
    for name in ("grid25-iid", "grid25-dirichlet", "grid25-minority", "digits-pathological"):
        sc, parts = _split(name)
        allrows = np.concatenate(parts)
        assert len(allrows) == len(np.unique(allrows)), name
        if name != "digits-pathological":
            assert len(allrows) == len(sc.x), name


def test_dirichlet_alpha_controls_skew() -> None:
    sc, iid = _split("grid25-iid")
    _, high = _split("grid25-dirichlet", alpha=1000.0)
    _, low = _split("grid25-dirichlet", alpha=0.05, min_partition_size=1)
    kl_iid, kl_high, kl_low = _mean_kl(sc, iid), _mean_kl(sc, high), _mean_kl(sc, low)
    assert kl_high < 0.02 and kl_iid < 0.02
    assert kl_low > 1.0 > 50 * kl_high


def test_minority_partitioner_concentrates_minority() -> None:
    sc, parts = _split("grid25-minority")
    minority_rows = np.flatnonzero(sc.group == 1)
    on_chosen = np.concatenate([np.intersect1d(parts[i], minority_rows) for i in (0, 1)])
    assert len(on_chosen) == len(minority_rows)  # 100% on clients 0 and 1
    for i in range(2, 10):
        assert (sc.group[parts[i]] == 1).sum() == 0
    assert all(len(p) >= 10 for p in parts)


def test_minority_partitioner_explicit_ids_and_flwr_interface() -> None:
    import datasets

    groups = np.array([0] * 90 + [1] * 10)
    part = MinorityConcentratedPartitioner(
        num_partitions=4,
        partition_by="group",
        minority_groups=[1],
        minority_partitions=[3],
        alpha=1.0,
        seed=3,
    )
    part.dataset = datasets.Dataset.from_dict({"group": groups, "x": np.arange(100)})
    p3 = part.load_partition(3)
    assert sum(g == 1 for g in p3["group"]) == 10
    assert sum(len(part.load_partition(i)) for i in range(4)) == 100
    with pytest.raises(ValueError, match="partition_id"):
        part.load_partition(4)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"minority_partitions": 5}, "minority_partitions"),
        ({"minority_partitions": [7]}, "minority_partitions"),
        ({"alpha": 0.0}, "alpha"),
        ({"num_partitions": 0}, "num_partitions"),
        ({"minority_groups": []}, "minority_groups"),
    ],
)
def test_minority_partitioner_bad_args(kwargs: dict, field: str) -> None:
    args = {
        "num_partitions": 4,
        "partition_by": "group",
        "minority_groups": [1],
        "minority_partitions": 1,
        "alpha": 1.0,
    } | kwargs
    with pytest.raises(ValueError, match=field):
        MinorityConcentratedPartitioner(**args)


def test_same_seed_same_partitions() -> None:
    for name in ("grid25-minority", "grid25-dirichlet", "grid25-iid"):
        _, a = _split(name)
        _, b = _split(name)
        _, c = _split(name, seed=7)
        assert all(np.array_equal(x, y) for x, y in zip(a, b)), name
        assert not all(np.array_equal(x, y) for x, y in zip(a, c)), name


def test_quantity_skew_sizes_vary_labels_iid() -> None:
    sc, parts = _split("grid25-iid", partitioner="quantity", alpha=0.5)
    sizes = np.array([len(p) for p in parts])
    assert sizes.sum() == len(sc.x) and sizes.min() >= 10 and sizes.max() > 3 * sizes.min()


def test_unmeetable_minimum_is_clear() -> None:
    with pytest.raises(ValueError, match="min_partition_size"):
        _split("digits-minority", num_partitions=5, min_partition_size=1000)
    with pytest.raises(ValueError, match="min_partition_size"):
        _split("grid25-iid", partitioner="quantity", min_partition_size=5000)


def test_summary_counts_and_text() -> None:
    sc, parts = _split("grid25-minority")
    s = partition_summary(sc, parts)
    assert s["rows"].tolist() == [len(p) for p in parts]
    assert (s["group/0"] + s["group/1"] == s["rows"]).all()
    assert s.filter(like="mode/").to_numpy().sum() == len(sc.x)
    assert s.loc[2:, "group/1"].sum() == 0
    text = format_partition_summary(s)
    assert "modes_held" in text and "group/1" in text
