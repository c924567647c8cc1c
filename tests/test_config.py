"""RunConfig: every bad key or value is refused, naming the key; defaults match pyproject."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from fedgan.config import RunConfig, RunConfigError


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"scenario": "grid99"}, "scenario"),
        ({"federation": "gossip"}, "federation"),
        ({"num-server-rounds": 0}, "num-server-rounds"),
        ({"num-server-rounds": 1.5}, "num-server-rounds"),
        ({"num-server-rounds": True}, "num-server-rounds"),
        ({"aggregation": "median"}, "aggregation"),
        ({"beta": 2.0}, "beta"),
        ({"gp-balance": "pooled"}, "gp-balance"),
        ({"group-weighting": "x"}, "group-weighting"),
        ({"lr-g": 0.0}, "lr-g"),
        ({"lr-final": 1.5}, "lr-final"),
        ({"alpha": -0.5}, "alpha"),
        ({"target-share": "a,b"}, "target-share"),
        ({"target-share": "0.5,nan"}, "target-share"),
        ({"standardise": "yes"}, "standardise"),
        ({"device": "tpu"}, "device"),
        ({"model": "conv"}, "model"),
        ({"seed": -5}, "seed"),
        ({"source-layers": 5}, "source-layers"),
        ({"critic-hidden": -1}, "critic-hidden"),
        ({"fraction-train": 0.0}, "fraction-train"),
        ({"eval-every": 0}, "eval-every"),
        ({"batch-sampling": "poisson"}, "batch-sampling"),
        ({"conditioning": "mode"}, "conditioning"),
        ({"categorical-output": "one-hot"}, "categorical-output"),
        ({"lambda-gp": "10"}, "lambda-gp"),
        ({"lambda-gp": float("inf")}, "lambda-gp"),
        ({"minority-share": 1.5}, "minority-share"),
        ({"nonsense": 1}, "nonsense"),
        ({"num_rounds": 3}, "num_rounds"),
    ],
)
def test_run_config_errors_name_the_key(values: dict, key: str) -> None:
    with pytest.raises(RunConfigError, match=key):
        RunConfig.from_mapping(values)


def test_run_config_matches_pyproject() -> None:
    declared = tomllib.loads(Path(__file__).parents[1].joinpath("pyproject.toml").read_text())
    values = declared["tool"]["flwr"]["app"]["config"]
    cfg = RunConfig.from_mapping(values)
    assert cfg == RunConfig()  # the dataclass defaults are the declared defaults
    assert set(values) == set(cfg.to_mapping())  # every key declared once, and only there
    assert cfg.scenario_spec(10).num_partitions == 10


def test_values_are_coerced_once_by_annotation() -> None:
    cfg = RunConfig.from_mapping({"lambda-gp": 2, "beta": 0})
    assert isinstance(cfg.lambda_gp, float) and cfg.train.lambda_gp == 2.0
    assert RunConfig(lambda_gp=3).lambda_gp == 3.0  # direct construction gets the same coercion


def test_sub_configurations_are_built_once_and_agree() -> None:
    cfg = RunConfig.from_mapping({"generator-steps": 7, "n-critic": 2, "dp": "critic"})
    assert (
        cfg.train.generator_steps == 7
        and cfg.privacy.planned_steps == 7 * 2 * cfg.num_server_rounds
    )
    assert cfg.total_generator_steps == 7 * cfg.num_server_rounds


def test_minority_partitions_checked_against_real_client_count() -> None:
    cfg = RunConfig.from_mapping({"minority-partitions": 6})
    assert cfg.scenario_spec(10).minority_partitions == 6
    with pytest.raises(ValueError, match="minority_partitions"):
        cfg.scenario_spec(5)


def test_num_samples_sets_the_rows_of_a_mixture_and_is_refused_on_fixed_data() -> None:
    from fedgan.data import load_scenario

    spec = RunConfig.from_mapping({"num-samples": 900, "num-partitions": 10}).scenario_spec()
    assert spec.num_samples == 900
    assert len(load_scenario(spec).x) == 900
    assert RunConfig().scenario_spec().num_samples == 20_000  # 0 keeps the scenario's
    with pytest.raises(ValueError, match=r"num-samples.*digits"):
        RunConfig.from_mapping({"num-samples": 900, "scenario": "digits-minority"}).scenario_spec()
    with pytest.raises(ValueError, match="num-samples must be >= 0"):
        RunConfig.from_mapping({"num-samples": -1})


def test_auto_loss_weighting_follows_whether_rows_are_generated_per_group() -> None:
    assert RunConfig().train.group_weighting == "uniform"  # client-conditional: per group
    assert RunConfig(federation="shared-critic").train.group_weighting == "proportional"
    assert (
        RunConfig(federation="shared-critic", conditioning="group").train.group_weighting
        == "uniform"
    )
    assert (
        RunConfig(group_weighting="inverse-frequency").train.group_weighting == "inverse-frequency"
    )


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"aggregation-rule": "mode"}, "aggregation-rule"),
        ({"update-norm-limit": -1.0}, "update-norm-limit"),
        ({"fail-rate": 1.0}, "fail-rate"),
        ({"generator-ema": 1.0}, "generator-ema"),
        ({"ema-start": -0.1}, "ema-start"),
        ({"critic-catch-up": -1}, "critic-catch-up"),
        ({"resume": 1}, "resume"),
    ],
)
def test_reliability_keys_are_checked(values: dict, key: str) -> None:
    with pytest.raises(RunConfigError, match=key):
        RunConfig.from_mapping(values)


@pytest.mark.parametrize(("key", "value"), [("gp-every", 2), ("gp-fraction", 0.5)])
def test_private_critic_refuses_what_per_sample_clipping_cannot_honour(
    key: str, value: object
) -> None:
    with pytest.raises(RunConfigError, match=key.replace("-", ".")):
        RunConfig.from_mapping({"dp": "critic", key: value})
    RunConfig.from_mapping({key: value})  # fine without privacy
