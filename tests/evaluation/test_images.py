"""Generated digits scored the field's way: noise and constants are not learned, real digits are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from fedgan.config import RunConfig
from fedgan.data import load_scenario
from fedgan.evaluation import Evaluator, verdict
from fedgan.federation import DESIGNS, make_models

SCENARIO = load_scenario("digits-minority")


class _FixedImages(torch.nn.Module):
    """A generator whose output is given: noise, a constant image, real digits."""

    num_sources = 0

    def __init__(self, images: np.ndarray) -> None:
        super().__init__()
        self.images = torch.as_tensor(images, dtype=torch.float32)

    def sample(self, n: int, **_: object) -> torch.Tensor:
        return self.images[:n]


def _judge(images: np.ndarray) -> tuple[pd.DataFrame, object]:
    ev = Evaluator(SCENARIO, samples=len(images), seed=0, device=torch.device("cpu"))
    ev.evaluate(1, _FixedImages(images))  # type: ignore[arg-type]
    table = ev.table()
    return table, verdict(table, title="test")


def _real(rng: np.random.Generator, n: int = 1500) -> np.ndarray:
    x = SCENARIO.x.reshape(len(SCENARIO.x), -1)
    return x[rng.integers(0, len(x), n)]


@pytest.mark.parametrize("kind", ["uniform noise", "constant image", "moment-matched noise"])
def test_noise_and_constants_are_not_learned_and_hold_no_class(kind: str) -> None:
    rng = np.random.default_rng(0)
    x = SCENARIO.x.reshape(len(SCENARIO.x), -1)
    images = {
        "uniform noise": rng.uniform(-1, 1, (1500, 64)),
        "constant image": np.full((1500, 64), -0.2),
        "moment-matched noise": np.clip(
            rng.multivariate_normal(x.mean(0), np.cov(x.T), 1500), -1, 1
        ),
    }[kind]
    table, judged = _judge(images)
    assert not judged.learned, judged.text()
    assert "NOT LEARNED" in judged.text() and "Fréchet distance" in judged.text()
    if kind != "moment-matched noise":  # the chance anchor itself may hold a class or two
        assert table["overall_modes_held"].iloc[0] == 0
        assert table["overall_hq"].iloc[0] <= 0.03


def test_real_digits_are_learned_with_every_class_held() -> None:
    table, judged = _judge(_real(np.random.default_rng(1)))
    assert judged.learned, judged.text()
    assert table["overall_modes_held"].iloc[0] == 10
    assert (table["mass_ratio"].between(0.8, 1.25)).all()
    assert "Off target" not in judged.text()


def test_one_digit_only_is_not_learned_and_the_mass_is_flagged() -> None:
    x = SCENARIO.x.reshape(len(SCENARIO.x), -1)
    ones = x[SCENARIO.mode == 1]
    table, judged = _judge(ones[np.random.default_rng(2).integers(0, len(ones), 1500)])
    assert table["overall_hq"].iloc[0] > 0.9  # clear digits …
    assert not judged.learned  # … but far from the data in Fréchet distance
    assert table["overall_modes_held"].iloc[0] <= 2  # a few misread ones can "hold" a rare class
    assert "Off target" in judged.text()


def test_copies_of_real_rows_show_as_memorised() -> None:
    table, _ = _judge(_real(np.random.default_rng(3)))
    assert table["overall_memorisation_ratio"].iloc[0] < 0.1  # every sample is a real row


def test_conv_generator_output_stays_in_the_pixel_range() -> None:
    cfg = RunConfig.from_mapping({"scenario": "digits-minority", "model": "conv", "hidden": 8})
    gen, _ = make_models(cfg, SCENARIO, DESIGNS["private-critics"], num_partitions=1)
    with torch.no_grad():
        for p in gen.parameters():
            p.mul_(50.0)  # push the raw output far outside [-1, 1]
    x = gen.sample(200, rng=torch.Generator().manual_seed(0))
    assert x.shape == (200, 1, 8, 8)
    assert float(x.min()) >= -1.0 and float(x.max()) <= 1.0
    assert float(x.abs().max()) > 0.99  # it reaches the range's ends, not a squeezed middle


def test_intra_fd_is_read_against_each_groups_floor_at_equal_sizes() -> None:
    # The held-out real digits themselves: every group's intra-FD sits at its floor, while
    # the minority's raw intra-FD is several times the majority's, only because its classes
    # have few real rows (a Fréchet distance from ~20 rows is biased upward).
    from fedgan.evaluation._images import _reference

    _, held = _reference(SCENARIO, 0)
    x = SCENARIO.x.reshape(len(SCENARIO.x), -1)[held]
    table, _ = _judge(x)
    ratio = table["intra_fd"] / table["intra_fd_floor"]
    assert ratio.between(0.8, 1.25).all(), table[["intra_fd", "intra_fd_floor"]]
    majority, minority = table["intra_fd_floor"].iloc[0], table["intra_fd_floor"].iloc[1]
    assert minority > 2 * majority


def test_intra_kid_does_not_penalise_the_rare_classes_of_real_digits() -> None:
    # The same held-out real digits: the kernel distance is unbiased, so both groups score
    # near 0 and far below a wrong class, where the raw intra-FD puts the minority far above.
    from fedgan.evaluation._images import _reference

    _, held = _reference(SCENARIO, 0)
    x = SCENARIO.x.reshape(len(SCENARIO.x), -1)
    table, judged = _judge(x[held])
    ones, _ = _judge(x[SCENARIO.mode == 1][np.random.default_rng(4).integers(0, 182, 1500)])
    wrong = ones["overall_kid"].iloc[0]  # every sample one digit: far from the data
    assert table["intra_kid"].abs().max() < 0.02 * wrong, table["intra_kid"]
    assert abs(table["overall_kid"].iloc[0] - table["overall_kid_floor"].iloc[0]) < 0.02 * wrong
    assert table["intra_fd"].iloc[1] > 2 * table["intra_fd"].iloc[0]
    assert "intra-KID" in judged.text() and "kernel distance" in judged.text()
