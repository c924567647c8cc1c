"""Server-side group DRO: the direction, the box, a lying client, the weights it gives."""

from __future__ import annotations

import numpy as np
import pytest

from fedgan.config import RunConfig, RunConfigError
from fedgan.federation import GroupDroShares, client_weights, run_in_process
from tests._tiny_run import TINY

ROWS = np.array([0.95, 0.05])  # the groups' shares of the rows
START = np.array([0.5, 0.5])  # group-balanced


def _estimates(majority: float, minority: float, clients: int = 4) -> np.ndarray:
    """``clients`` holding the majority; the last also holds the minority."""
    est = np.full((clients, 2), np.nan)
    est[:, 0] = majority
    est[-1, 1] = minority
    return est


def test_equal_estimates_leave_the_shares_where_they_are() -> None:
    dro = GroupDroShares(START, ROWS, step=0.1)
    for _ in range(20):
        shares = dro.update(_estimates(2.0, 2.0))
    assert shares.tolist() == START.tolist()


def test_the_worse_served_group_gains_share_one_step_as_the_update_says() -> None:
    dro = GroupDroShares(START, ROWS, step=0.1)
    shares = dro.update(_estimates(3.0, 1.0))  # the minority is served better
    excess = np.array([1.0, -1.0]) / 2.0  # (s - mean) / mean |s|
    expected = START * np.exp(0.1 * excess)
    assert shares == pytest.approx(expected / expected.sum(), abs=1e-9)
    assert shares[1] < 0.5


@pytest.mark.parametrize(("majority", "minority", "limit"), [(3.0, 1.0, ROWS), (1.0, 3.0, START)])
def test_the_shares_stop_at_the_fixed_schemes(
    majority: float, minority: float, limit: np.ndarray
) -> None:
    dro = GroupDroShares(START, ROWS, step=0.5)
    for _ in range(200):
        shares = dro.update(_estimates(majority, minority))
    assert shares == pytest.approx(limit, abs=1e-9)
    # At the rows' shares group-balanced weights are size weights: w_k = n_k / N.
    counts = np.array([[90.0, 0.0], [60.0, 0.0], [40.0, 10.0]])
    rows = counts.sum(axis=0) / counts.sum()
    at_rows = client_weights(counts, scheme="group-dro", target_share=rows.tolist())
    assert at_rows == pytest.approx(client_weights(counts, scheme="size"))


def test_one_lying_client_is_outvoted_or_boxed_in() -> None:
    dro = GroupDroShares(START, ROWS, step=0.5)
    est = _estimates(2.0, 2.0, clients=5)
    est[0, 0] = 1e9  # one of five majority clients lies: the median does not move
    assert dro.update(est).tolist() == START.tolist()
    est = _estimates(2.0, 1e9, clients=5)  # the minority's only client lies
    for _ in range(100):
        shares = dro.update(est)
    assert shares[1] <= START[1] + 1e-12  # never past group-balanced


def test_the_checkpoint_keeps_the_box_it_was_made_with() -> None:
    dro = GroupDroShares(START, ROWS, step=0.5)
    dro.update(_estimates(3.0, 1.0))
    later = GroupDroShares(START, np.array([0.9, 0.1]), step=0.5)  # rows changed since
    later.restore(dro.state())
    assert later.shares.tolist() == dro.shares.tolist() and later.low.tolist() == [0.5, 0.05]
    for _ in range(100):
        assert (
            later.update(_estimates(3.0, 1.0)).tolist() == dro.update(_estimates(3.0, 1.0)).tolist()
        )
    older = GroupDroShares(START, ROWS, step=0.5)
    older.restore([0.7, 0.3])  # an earlier checkpoint: the shares alone, the box as made
    assert older.shares.tolist() == [0.7, 0.3] and older.high.tolist() == [0.95, 0.5]
    with pytest.raises(ValueError, match="saved shares have shapes"):
        later.restore({"shares": [1.0], "low": [1.0], "high": [1.0]})


def test_no_estimates_no_step() -> None:
    dro = GroupDroShares(START, ROWS, step=0.5)
    assert dro.update(np.full((3, 2), np.nan)).tolist() == START.tolist()  # dp = critic
    assert dro.update(_estimates(2.0, np.nan)).tolist() == START.tolist()  # one group seen


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="step must be > 0"):
        GroupDroShares(START, ROWS, step=0.0)
    with pytest.raises(ValueError, match="one share per group"):
        GroupDroShares(START, ROWS[:1], step=0.1)
    with pytest.raises(ValueError, match=r"estimates must be \[clients, 2\]"):
        GroupDroShares(START, ROWS, step=0.1).update(np.zeros((3, 3)))
    with pytest.raises(RunConfigError, match="dro-step"):
        RunConfig.from_mapping({"aggregation": "group-dro", "dro-step": 0.0})


def test_a_run_logs_the_shares_and_weighs_by_them() -> None:
    extra = {"aggregation": "group-dro", "dro-step": 0.5, "num-server-rounds": 3, "eval-every": 3}
    cfg = RunConfig.from_mapping(TINY | extra)
    run = run_in_process(cfg, num_partitions=3)
    weights = run.tables()["weights"]
    for _, part in weights.groupby("round"):
        shares = part[["group_0_share", "group_1_share"]].iloc[0].to_numpy()
        assert shares.sum() == pytest.approx(1.0)
        counts = part[["group_0_count", "group_1_count"]].to_numpy()
        expected = client_weights(counts, scheme="group-balanced", target_share=shares.tolist())
        assert part["weight"].to_numpy() == pytest.approx(expected)
    assert weights["group_1_share"].nunique() > 1  # it moved
    verdict = run.files(mode="federated").verdict
    line = next(x for x in verdict.lines if "Weights (group-dro)" in x)
    assert "0.500 → " in line and "between 0.050 and 0.500" in line  # ring8: 5% minority
    assert verdict.facts["group/1/dro_share"] == weights["group_1_share"].iloc[-1]


def test_under_dp_no_estimate_is_released_and_the_shares_stay() -> None:
    extra = {"aggregation": "group-dro", "dro-step": 0.5, "dp": "critic", "eval-every": 2}
    weights = run_in_process(RunConfig.from_mapping(TINY | extra), num_partitions=3).tables()[
        "weights"
    ]
    assert weights["group_1_share"].tolist() == [0.5] * len(weights)
