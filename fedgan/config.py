"""The run configuration: every knob of ``[tool.flwr.app.config]``, typed and validated.

Flower hands the apps a flat mapping of kebab-case keys; :meth:`RunConfig.from_mapping`
turns it into this dataclass, rejecting unknown keys, wrong types and bad values
with an error that names the key, before any data is built or any training starts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from fedgan.data import SCENARIOS, Conditioning, ScenarioSpec, scenario_spec
from fedgan.losses import GroupWeighting
from fedgan.privacy import PrivacySettings
from fedgan.training import TrainConfig

__all__ = ["AggregationScheme", "RunConfig", "RunConfigError"]

AggregationScheme = Literal["size", "uniform", "group-balanced", "kl"]
_AGGREGATIONS: tuple[str, ...] = get_args(AggregationScheme)


class RunConfigError(ValueError):
    """A run-config key has a bad value; the message names the key."""


@dataclass(frozen=True)
class RunConfig:
    """Typed run configuration; field ``foo_bar`` is run-config key ``foo-bar``.

    Scenario overrides use 0 / "" to mean "the scenario's default".
    """

    scenario: str = "grid25-minority"
    num_server_rounds: int = 50
    generator_steps: int = 5
    n_critic: int = 5
    batch_size: int = 256
    lambda_gp: float = 10.0
    gp_target: float = 1.0
    gp_balance: str = "group"
    gp_every: int = 1
    gp_fraction: float = 1.0
    group_weighting: str = "uniform"
    dro_step: float = 0.01
    aggregation: str = "group-balanced"
    beta: float = 1.0
    target_share: str = ""
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    model: str = "mlp"
    latent_dim: int = 8
    hidden: int = 128
    conditioning: str = ""
    alpha: float = 0.0
    minority_share: float = 0.0
    minority_partitions: int = 0
    eval_samples: int = 2500
    seed: int = 0
    device: str = "auto"
    output_dir: str = "outputs/latest"
    share_critic: bool = False
    min_nodes: int = 2
    dp: str = "off"
    noise_multiplier: float = 1.0
    target_epsilon: float = 0.0
    delta: float = 1e-5
    max_grad_norm: float = 1.0
    epsilon_budget: float = 0.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RunConfig:
        """Parse Flower's ``context.run_config`` (kebab-case keys) and validate.

        Raises
        ------
        RunConfigError
            Unknown key, wrong type, or a value outside what is allowed.
        """
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            name = key.replace("-", "_")
            if name not in fields:
                allowed = ", ".join(sorted(k.replace("_", "-") for k in fields))
                raise RunConfigError(f"unknown run-config key {key!r}; allowed keys: {allowed}")
            kwargs[name] = _coerce(key, value, type(getattr(cls(), name)))
        return cls(**kwargs)

    def __post_init__(self) -> None:
        _check(
            self.scenario in SCENARIOS,
            "scenario",
            f"must be one of {sorted(SCENARIOS)}, got {self.scenario!r}",
        )
        for key in ("num_server_rounds", "generator_steps", "n_critic", "batch_size", "gp_every"):
            _check(getattr(self, key) >= 1, key, f"must be >= 1, got {getattr(self, key)}")
        for key in ("latent_dim", "hidden", "eval_samples", "min_nodes"):
            _check(getattr(self, key) >= 1, key, f"must be >= 1, got {getattr(self, key)}")
        _check(
            self.aggregation in _AGGREGATIONS,
            "aggregation",
            f"must be one of {list(_AGGREGATIONS)}, got {self.aggregation!r}",
        )
        _check(0 <= self.beta <= 1, "beta", f"must be in [0, 1], got {self.beta}")
        _check(
            self.model in ("mlp", "conv"), "model", f"must be 'mlp' or 'conv', got {self.model!r}"
        )
        _check(
            self.conditioning in ("", *[c.value for c in Conditioning]),
            "conditioning",
            f"must be '' (scenario default) or one of {[c.value for c in Conditioning]}, "
            f"got {self.conditioning!r}",
        )
        _check(
            self.device == "auto" or self.device == "cpu" or self.device.startswith("cuda"),
            "device",
            f"must be 'auto', 'cpu' or 'cuda[:i]', got {self.device!r}",
        )
        _check(bool(self.output_dir.strip()), "output_dir", "must be a non-empty path")
        self.target_shares()
        _check(
            self.dp in ("off", "critic", "generator-gradient"),
            "dp",
            f"must be 'off', 'critic' or 'generator-gradient', got {self.dp!r}",
        )
        _check(
            self.noise_multiplier >= 0,
            "noise_multiplier",
            f"must be >= 0, got {self.noise_multiplier}",
        )
        _check(
            self.target_epsilon >= 0,
            "target_epsilon",
            f"must be >= 0 (0: use noise-multiplier), got {self.target_epsilon}",
        )
        _check(0 < self.delta < 1, "delta", f"must be in (0, 1), got {self.delta}")
        _check(self.max_grad_norm > 0, "max_grad_norm", f"must be > 0, got {self.max_grad_norm}")
        _check(
            self.epsilon_budget >= 0,
            "epsilon_budget",
            f"must be >= 0 (0: no budget), got {self.epsilon_budget}",
        )
        _check(
            not (self.dp == "generator-gradient" and self.share_critic),
            "share_critic",
            "must be false with dp = 'generator-gradient': that critic is not private and must stay on the client",
        )
        _check(
            not (self.dp == "generator-gradient" and self.noise_multiplier <= 0),
            "noise_multiplier",
            "must be > 0 with dp = 'generator-gradient'",
        )
        try:
            self.train_config()
        except ValueError as err:
            first, _, rest = str(err).partition(" ")
            raise RunConfigError(f"{_key(first)} {rest}") from None
        try:
            spec = self.scenario_spec()
        except ValueError as err:
            raise RunConfigError(f"scenario overrides: {err}") from None
        _check(
            self.model == "mlp" or spec.dataset == "digits",
            "model",
            f"'conv' needs image data (a digits scenario); {self.scenario!r} is {spec.dataset}",
        )

    def target_shares(self) -> tuple[float, ...] | None:
        """``target-share`` as numbers (comma-separated π_g), or ``None`` for uniform."""
        if not self.target_share.strip():
            return None
        try:
            vals = tuple(float(v) for v in self.target_share.split(","))
        except ValueError:
            raise RunConfigError(
                f"target-share must be comma-separated numbers, got {self.target_share!r}"
            ) from None
        _check(
            all(v >= 0 for v in vals) and sum(vals) > 0,
            "target_share",
            f"must be non-negative with a positive sum, got {self.target_share!r}",
        )
        return vals

    def train_config(self) -> TrainConfig:
        """Local-training hyper-parameters."""
        if self.gp_balance not in ("group", "sample"):
            raise ValueError(f"gp_balance must be 'group' or 'sample', got {self.gp_balance!r}")
        if self.group_weighting not in [w.value for w in GroupWeighting]:
            raise ValueError(
                f"group_weighting must be one of {[w.value for w in GroupWeighting]}, "
                f"got {self.group_weighting!r}"
            )
        return TrainConfig(
            generator_steps=self.generator_steps,
            n_critic=self.n_critic,
            batch_size=self.batch_size,
            lambda_gp=self.lambda_gp,
            gp_target=self.gp_target,
            gp_balance=self.gp_balance,  # type: ignore[arg-type]
            gp_every=self.gp_every,
            gp_fraction=self.gp_fraction,
            group_weighting=GroupWeighting(self.group_weighting),
            dro_step=self.dro_step,
            lr_g=self.lr_g,
            lr_d=self.lr_d,
        )

    def scenario_spec(self, num_partitions: int | None = None) -> ScenarioSpec:
        """The scenario with this run's overrides (0 / "" keep the default)."""
        over: dict[str, Any] = {"seed": self.seed}
        if num_partitions is not None:
            over["num_partitions"] = num_partitions
        if self.alpha:
            over["alpha"] = self.alpha
        if self.minority_share:
            over["minority_share"] = self.minority_share
        if self.minority_partitions:
            over["minority_partitions"] = self.minority_partitions
        if self.conditioning:
            over["conditioning"] = self.conditioning
        spec = scenario_spec(self.scenario)
        if "num_partitions" not in over and self.minority_partitions > spec.num_partitions:
            over["num_partitions"] = self.minority_partitions
        return scenario_spec(self.scenario, **over)

    def privacy_settings(self) -> PrivacySettings:
        """The DP knobs, with the run's planned private steps per client."""
        per_round = self.generator_steps * (self.n_critic if self.dp == "critic" else 1)
        return PrivacySettings(
            mode=self.dp,  # type: ignore[arg-type]
            noise_multiplier=self.noise_multiplier,
            target_epsilon=self.target_epsilon,
            delta=self.delta,
            max_grad_norm=self.max_grad_norm,
            epsilon_budget=self.epsilon_budget,
            planned_steps=per_round * self.num_server_rounds,
        )

    def private_steps_per_round(self) -> int:
        """Accounted steps one round of local training takes."""
        return self.generator_steps * (self.n_critic if self.dp == "critic" else 1)

    @property
    def output_path(self) -> Path:
        """``output-dir`` as a path."""
        return Path(self.output_dir).expanduser()


def _key(name: str) -> str:
    return name.replace("_", "-")


def _check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise RunConfigError(f"{_key(name)} {message}")


def _coerce(key: str, value: Any, kind: type) -> Any:
    # TOML gives int for 1 and float for 1.0; accept ints where floats are expected.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is bool and not isinstance(value, bool):
        raise RunConfigError(f"{key} must be true or false, got {value!r}")
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise RunConfigError(f"{key} must be an integer, got {value!r}")
    if not isinstance(value, kind):
        raise RunConfigError(f"{key} must be of type {kind.__name__}, got {value!r}")
    return value
