"""The penalty schedule: which critic steps carry the penalty, at what weight, and under DP."""

from __future__ import annotations

import pytest
import torch

from fedgan._checks import FieldError
from fedgan.config import RunConfig, RunConfigError
from fedgan.losses import PenaltySchedule
from fedgan.training import TrainConfig


def test_lazy_steps_carry_k_times_lambda_and_average_to_lambda() -> None:
    s = PenaltySchedule((1.0, 3.0), every=3, fraction=0.5, target=2.0, balance="sample")
    carried = [i for i in range(12) if s.applies(i)]
    assert carried == [0, 3, 6, 9]
    term = s.term(2, torch.device("cpu"))
    assert term.lambdas.tolist() == [3.0, 9.0] and s.gain == 3
    # over a full cycle the penalty weight per step averages to λ
    assert (term.lambdas * len(carried) / 12).tolist() == [1.0, 3.0]
    assert (term.target, term.balance, term.fraction) == (2.0, "sample", 0.5)
    assert s.adam_power == pytest.approx(3 / 4)


def test_every_step_without_laziness_and_none_without_lambda() -> None:
    exact = PenaltySchedule(1.0)
    assert all(exact.applies(i) for i in range(5)) and exact.adam_power == 1.0
    off = PenaltySchedule(0.0, every=2)
    assert not off.active and not any(off.applies(i) for i in range(5))
    assert PenaltySchedule((0.0, 0.5)).active


@pytest.mark.parametrize(
    ("options", "key"), [({"every": 2}, "gp_every"), ({"fraction": 0.5}, "gp_fraction")]
)
def test_privacy_refuses_what_would_change_each_rows_clipped_term(options, key) -> None:
    with pytest.raises(FieldError, match=key):
        PenaltySchedule(1.0, private=True, **options)
    assert PenaltySchedule(1.0, **options).private is False  # fine without privacy


def test_train_config_builds_it_and_the_run_config_refuses_under_the_key() -> None:
    s = TrainConfig(lambda_gp=2.0, gp_every=4, gp_fraction=0.25).penalty_schedule()
    assert (s.every, s.fraction, s.gain) == (4, 0.25, 4)
    with pytest.raises(RunConfigError, match="gp-every must be 1 with dp = 'critic'"):
        RunConfig.from_mapping({"dp": "critic", "gp-every": 2})
    with pytest.raises(RunConfigError, match=r"gp-fraction must be 1\.0 with dp = 'critic'"):
        RunConfig.from_mapping({"dp": "critic", "gp-fraction": 0.5})
