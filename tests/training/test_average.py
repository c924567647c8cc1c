"""The generator's weight average: a copy until it starts, then an exact EMA."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from fedgan.training import WeightAverage


def _model(value: float) -> nn.Module:
    m = nn.Linear(2, 1)
    with torch.no_grad():
        m.weight.fill_(value)
        m.bias.fill_(value)
    m.register_buffer("shift", torch.tensor([value]))
    return m


def test_copy_before_start_then_ema_with_the_round_decay() -> None:
    avg = WeightAverage(_model(0.0), decay=0.5, steps_per_round=2, start_round=2)
    assert avg.round_decay == 0.25  # beta ** steps per round
    avg.update(_model(4.0), 1)
    avg.update(_model(8.0), 2)  # rounds <= start are copied: no memory of round 1
    assert avg.model.weight.flatten().tolist() == [8.0, 8.0]
    avg.update(_model(0.0), 3)  # 0.25 * 8 + 0.75 * 0
    avg.update(_model(4.0), 4)  # 0.25 * 2 + 0.75 * 4
    assert avg.model.weight.flatten().tolist() == [3.5, 3.5]
    assert float(avg.model.bias) == 3.5
    assert float(avg.model.shift) == 4.0  # buffers follow the model, never averaged


def test_the_average_does_not_alias_the_model_and_round_trips() -> None:
    model = _model(1.0)
    avg = WeightAverage(model, decay=0.9, steps_per_round=1, start_round=0)
    with torch.no_grad():
        model.weight.fill_(5.0)
    assert avg.model.weight.flatten().tolist() == [1.0, 1.0]
    avg.update(model, 1)
    again = WeightAverage(_model(0.0), decay=0.9, steps_per_round=1, start_round=0)
    again.restore(avg.state())
    assert torch.equal(again.model.weight, avg.model.weight)
    assert not any(p.requires_grad for p in avg.model.parameters())


@pytest.mark.parametrize(("decay", "steps"), [(1.0, 1), (-0.1, 1), (0.5, 0)])
def test_bad_arguments_are_refused(decay: float, steps: int) -> None:
    with pytest.raises(ValueError, match=r"decay|steps_per_round"):
        WeightAverage(_model(0.0), decay=decay, steps_per_round=steps, start_round=0)
