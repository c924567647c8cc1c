"""client_weights against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fedgan.federation import client_weights

COUNTS = np.array([[50.0, 0.0], [40.0, 0.0], [0.0, 10.0]])  # client 2 holds all of group 1


def test_size_is_fedavg() -> None:
    assert client_weights(COUNTS, scheme="size") == pytest.approx([0.5, 0.4, 0.1])


def test_uniform() -> None:
    assert client_weights(COUNTS, scheme="uniform") == pytest.approx([1 / 3] * 3)


def test_group_balanced_minority_client_gets_pi1() -> None:
    w = client_weights(COUNTS, scheme="group-balanced")
    assert w == pytest.approx([0.5 * 50 / 90, 0.5 * 40 / 90, 0.5])
    w = client_weights(COUNTS, scheme="group-balanced", target_share=[0.7, 0.3])
    assert w[2] == pytest.approx(0.3)


def test_beta_interpolates() -> None:
    size = client_weights(COUNTS, scheme="size")
    bal = client_weights(COUNTS, scheme="group-balanced")
    assert client_weights(COUNTS, scheme="group-balanced", beta=0.0) == pytest.approx(size)
    mid = client_weights(COUNTS, scheme="group-balanced", beta=0.25)
    assert mid == pytest.approx(0.75 * size + 0.25 * bal)


def test_mixed_client_split_by_group_share() -> None:
    counts = np.array([[30.0, 5.0], [70.0, 15.0]])
    w = client_weights(counts, scheme="group-balanced")
    assert w == pytest.approx([0.5 * 0.3 + 0.5 * 0.25, 0.5 * 0.7 + 0.5 * 0.75])


def test_kl_fegan() -> None:
    w = client_weights(COUNTS, scheme="kl")
    p = np.array([0.9, 0.1])
    kl = np.array([np.log(1 / 0.9), np.log(1 / 0.9), np.log(1 / 0.1)])
    score = kl * np.array([0.5, 0.4, 0.1])
    expected = np.exp(score) / np.exp(score).sum()
    assert w == pytest.approx(expected)
    assert p.sum() == 1


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(1, 4)), elements=st.floats(0, 1000)
    ),
    st.sampled_from(["size", "uniform", "group-balanced", "group-dro", "kl"]),
    st.floats(0, 1),
)
def test_weights_are_a_distribution(counts: np.ndarray, scheme: str, beta: float) -> None:
    if counts.sum() <= 0:
        return
    w = client_weights(counts, scheme=scheme, beta=beta)  # type: ignore[arg-type]
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"counts": [[1, 2]], "scheme": "fedprox"}, "scheme"),
        ({"counts": [[1, -2]], "scheme": "size"}, "counts"),
        ({"counts": [[0, 0]], "scheme": "size"}, "counts"),
        ({"counts": [1, 2], "scheme": "size"}, "counts"),
        ({"counts": [[1, 2]], "scheme": "group-balanced", "beta": 1.5}, "beta"),
        ({"counts": [[1, 2]], "scheme": "group-balanced", "target_share": [1.0]}, "target_share"),
    ],
)
def test_bad_input(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        client_weights(**kwargs)
