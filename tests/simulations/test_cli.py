"""Run-config text: parsed as Flower reads it, rendered back, bad items named."""

from __future__ import annotations

import pytest

from fedgan.config import RunConfigError
from simulations._cli import parse_run_config, render_run_config


def test_roundtrip() -> None:
    values = {
        "scenario": "ring8-minority",
        "seed": 3,
        "lr-g": 0.0005,
        "standardise": False,
        "output-dir": 'a "quoted" path',
    }
    assert parse_run_config(render_run_config(values)) == values
    assert parse_run_config(None) == {} and parse_run_config({"seed": 1}) == {"seed": 1}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("seed", "not key=value"),
        ("scenario=ring 8", "not key=value"),
        ("scenario=ring8", "scenario"),
    ],
)
def test_bad_items_are_named(text: str, match: str) -> None:
    with pytest.raises(RunConfigError, match=match):
        parse_run_config(text)
