"""The run configuration: every key of ``[tool.flwr.app.config]``, typed and validated.

Flower hands the apps a flat mapping of kebab-case keys; :meth:`RunConfig.from_mapping`
turns it into this dataclass. Each value is coerced by its field's annotation (a
``Literal`` lists the allowed values), then the sub-configurations validate
themselves once — :class:`~fedgan.training.TrainConfig`,
:class:`~fedgan.data.ScenarioSpec`, :class:`~fedgan.privacy.PrivacySettings` — and
their errors are reported under the run-config key. Nothing is built and nothing is
trained before that.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fedgan._coerce import RunConfigError, check, coerce, key_of, renamed
from fedgan._combinations import check_combinations
from fedgan.choices import (
    Aggregation,
    AggregationRule,
    Balance,
    CategoricalOutput,
    DPMode,
    FailMode,
    Federation,
    GeneratorActivation,
    GroupWeightingChoice,
    GroupWeightingName,
    ModelKind,
    ScenarioConditioning,
    SourceConditioning,
)
from fedgan.data import SCENARIOS, ScenarioSpec, scenario_spec
from fedgan.designs import DESIGNS, FederationDesign
from fedgan.losses import GroupWeighting
from fedgan.privacy import PrivacySettings
from fedgan.training import BatchSampling, TrainConfig

__all__ = ["RunConfig", "RunConfigError"]

_T = TrainConfig  # defaults of the training knobs live in TrainConfig, once
_P = PrivacySettings  # and those of privacy in PrivacySettings


@dataclass(frozen=True)
class RunConfig:
    """Typed run configuration; field ``foo_bar`` is run-config key ``foo-bar``.

    Scenario overrides use 0 / "" to mean "the scenario's default". The meaning of
    every key is in ``pyproject.toml`` and docs/federation.md.
    """

    scenario: str = "ring8-minority"
    federation: Federation = "shared-generator"
    num_server_rounds: int = 700
    generator_steps: int = 5
    n_critic: int = _T.n_critic
    batch_size: int = _T.batch_size
    batch_sampling: BatchSampling = _T.batch_sampling
    lambda_gp: float = 1.0
    gp_target: float = _T.gp_target
    gp_balance: Balance = _T.gp_balance
    gp_every: int = _T.gp_every
    gp_fraction: float = _T.gp_fraction
    group_weighting: GroupWeightingChoice = "auto"
    dro_step: float = _T.dro_step
    lr_g: float = _T.lr_g
    lr_d: float = _T.lr_d
    lr_final: float = _T.lr_final
    generator_ema: float = 0.0
    ema_start: float = 0.5
    critic_catch_up: int = 0
    source_layers: int = 4
    aggregation: Aggregation = "group-balanced"
    aggregation_rule: AggregationRule = "mean"
    update_norm_limit: float = 10.0
    declared_rows_cap: float = 4.0
    beta: float = 1.0
    target_share: str = ""
    model: ModelKind = "mlp"
    latent_dim: int = 8
    hidden: int = 128
    critic_hidden: int = 0
    generator_activation: GeneratorActivation = "relu"
    categorical_output: CategoricalOutput = "softmax"
    source_conditioning: SourceConditioning = "concat"
    standardise: bool = True
    conditioning: ScenarioConditioning = ""
    alpha: float = 0.0
    minority_share: float = 0.0
    minority_partitions: int = 0
    num_samples: int = 0
    num_partitions: int = 0
    eval_samples: int = 2500
    eval_every: int = 25
    tensorboard: bool = False
    seed: int = 0
    device: str = "auto"
    output_dir: str = "outputs/latest"
    reference_dir: str = ""
    min_nodes: int = 2
    fraction_train: float = 1.0
    resume: bool = False
    fail_rate: float = 0.0
    fail_mode: FailMode = "crash"
    lie_at_handshake: int = -1
    target_hq: float = 0.9
    stop_when_met: int = 0
    dp: DPMode = _P.mode
    noise_multiplier: float = _P.noise_multiplier
    target_epsilon: float = _P.target_epsilon
    delta: float = _P.delta
    max_grad_norm: float = _P.max_grad_norm
    epsilon_budget: float = _P.epsilon_budget
    _train: TrainConfig = field(init=False, repr=False, compare=False)
    _privacy: PrivacySettings = field(init=False, repr=False, compare=False)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RunConfig:
        """Parse Flower's ``context.run_config`` (kebab-case keys) and validate.

        Raises
        ------
        RunConfigError
            Unknown key, wrong type, or a value outside what is allowed.
        """
        names = _field_types()
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            name = key.replace("-", "_")
            if name not in names or not isinstance(key, str) or "_" in key:
                allowed = ", ".join(sorted(key_of(k) for k in names))
                raise RunConfigError(f"unknown run-config key {key!r}; allowed keys: {allowed}")
            kwargs[name] = value
        return cls(**kwargs)

    def to_mapping(self) -> dict[str, Any]:
        """The run-config keys and values (what ``from_mapping`` reads)."""
        return {key_of(f.name): getattr(self, f.name) for f in dataclasses.fields(self) if f.init}

    def __post_init__(self) -> None:
        """Coerce every key to its annotation, then check values and combinations.

        Raises
        ------
        RunConfigError
            Naming the first bad key and what it allows.
        """
        for name, kind in _field_types().items():  # one coercion, read from the annotations
            object.__setattr__(self, name, coerce(key_of(name), getattr(self, name), kind))
        check(
            self.scenario in SCENARIOS or ":" in self.scenario,
            "scenario",
            f"must be one of {sorted(SCENARIOS)} or 'package.module:NAME' of a "
            f"fedgan.data.CustomScenario, got {self.scenario!r}",
        )
        for name in (
            "num_server_rounds",
            "latent_dim",
            "hidden",
            "eval_samples",
            "eval_every",
            "min_nodes",
        ):
            check(getattr(self, name) >= 1, name, f"must be >= 1, got {getattr(self, name)}")
        for name in (
            "seed",
            "source_layers",
            "num_partitions",
            "minority_partitions",
            "num_samples",
            "critic_hidden",
        ):
            check(getattr(self, name) >= 0, name, f"must be >= 0, got {getattr(self, name)}")
        check(
            self.declared_rows_cap == 0 or self.declared_rows_cap >= 1,
            "declared_rows_cap",
            f"must be 0 (off) or >= 1, got {self.declared_rows_cap}",
        )
        check(
            self.lie_at_handshake >= -1,
            "lie_at_handshake",
            f"must be a partition id or -1 (off), got {self.lie_at_handshake}",
        )
        check(
            self.update_norm_limit >= 0,
            "update_norm_limit",
            f"must be >= 0 (0: off), got {self.update_norm_limit}",
        )
        check(
            0 <= self.generator_ema < 1,
            "generator_ema",
            f"must be in [0, 1) (0: off), got {self.generator_ema}",
        )
        check(0 <= self.ema_start < 1, "ema_start", f"must be in [0, 1), got {self.ema_start}")
        check(
            self.critic_catch_up >= 0,
            "critic_catch_up",
            f"must be >= 0 (0: off), got {self.critic_catch_up}",
        )
        check(0 <= self.fail_rate < 1, "fail_rate", f"must be in [0, 1), got {self.fail_rate}")
        check(0 < self.target_hq <= 1, "target_hq", f"must be in (0, 1], got {self.target_hq}")
        check(
            self.stop_when_met >= 0,
            "stop_when_met",
            f"must be >= 0 (0: off), got {self.stop_when_met}",
        )
        for name in ("beta", "fraction_train"):
            v = getattr(self, name)
            check(
                0 <= v <= 1 and (name == "beta" or v > 0),
                name,
                f"must be in {'[0, 1]' if name == 'beta' else '(0, 1]'}, got {v}",
            )
        check(
            self.device in ("auto", "cpu") or self.device.startswith("cuda"),
            "device",
            f"must be 'auto', 'cpu' or 'cuda[:index]', got {self.device!r}",
        )
        check(bool(self.output_dir.strip()), "output_dir", "must be a non-empty path")
        check(
            self.source_layers <= 4,
            "source_layers",
            f"must be at most depth + 1 = 4, got {self.source_layers}",
        )
        self.target_shares()
        with renamed():
            spec = self.scenario_spec()
            object.__setattr__(self, "_train", self._build_train_config(spec))
            object.__setattr__(self, "_privacy", self._build_privacy())
        check_combinations(self, spec)

    def _build_train_config(self, spec: ScenarioSpec) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(TrainConfig)} - {"betas", "group_weighting"}
        return TrainConfig(
            **{n: getattr(self, n) for n in names},
            group_weighting=GroupWeighting(self.loss_weighting(spec)),
        )

    def loss_weighting(self, spec: ScenarioSpec | None = None) -> GroupWeightingName:
        """``group-weighting`` as training uses it.

        ``auto`` is ``uniform`` when generated rows are made for a group (client-conditional,
        or a conditional scenario): each group's term then has its own minimiser and equal
        weights train them alike. Otherwise it is ``proportional``, because other weights
        would move the learned mixture off the real one.
        """
        if self.group_weighting != "auto":
            return self.group_weighting
        conditioning = (spec or self.scenario_spec()).conditioning.value
        paired = self.design.per_source or conditioning != "none"
        return "uniform" if paired else "proportional"

    def _build_privacy(self) -> PrivacySettings:
        return PrivacySettings(
            mode=self.dp,
            noise_multiplier=self.noise_multiplier,
            target_epsilon=self.target_epsilon,
            delta=self.delta,
            max_grad_norm=self.max_grad_norm,
            epsilon_budget=self.epsilon_budget,
            planned_steps=self.private_steps_per_round() * self.num_server_rounds,
        )

    @property
    def design(self) -> FederationDesign:
        """The federation design ``federation`` names (:data:`fedgan.designs.DESIGNS`)."""
        return DESIGNS[self.federation]

    @property
    def train(self) -> TrainConfig:
        """Local-training hyper-parameters (validated with the run config)."""
        return self._train

    @property
    def privacy(self) -> PrivacySettings:
        """The DP settings, with the run's planned private steps per client."""
        return self._privacy

    @property
    def total_generator_steps(self) -> int:
        """Generator steps of the whole run (the learning-rate schedule's length)."""
        return self.num_server_rounds * self.generator_steps

    def evaluated(self, server_round: int) -> bool:
        """Whether the round is scored: every ``eval-every`` rounds and the last."""
        return server_round % self.eval_every == 0 or server_round == self.num_server_rounds

    def critic_steps_per_round(self) -> int:
        """Critic updates a client takes per round (``generator-steps`` × ``n-critic``)."""
        return self.generator_steps * self.n_critic

    def private_steps_per_round(self) -> int:
        """Accounted steps one round of local training takes at most (catch-up included)."""
        if self.dp == "critic":
            return self.critic_steps_per_round() + self._catch_up_bound()
        return self.generator_steps

    def _catch_up_bound(self) -> int:
        return self.critic_catch_up if self.design.server_trains else 0

    def critic_steps_this_round(self, server_round: int, last_round: int) -> int:
        """Critic updates of a ``shared-generator`` client that last trained in ``last_round``.

        The usual ``generator-steps`` × ``n-critic``, plus up to ``critic-catch-up`` more
        for the generator steps the server took without this critic: with client sampling
        a critic can be many generator steps behind, and a generator stepped against a
        critic that has not seen it lately learns nothing. A critic that never trained
        (``last_round`` 0) is behind by the whole cap.
        """
        missed = server_round - 1 - last_round
        behind = self.critic_catch_up if last_round == 0 else missed * self.critic_steps_per_round()
        return self.critic_steps_per_round() + min(self._catch_up_bound(), max(behind, 0))

    def ema_start_round(self) -> int:
        """The first round whose generator enters the weight average (``ema-start``)."""
        return math.floor(self.ema_start * self.num_server_rounds)

    def target_shares(self) -> tuple[float, ...] | None:
        """``target-share`` as numbers (comma-separated π_g), or ``None`` for the default."""
        if not self.target_share.strip():
            return None
        try:
            vals = tuple(float(v) for v in self.target_share.split(","))
        except ValueError:
            raise RunConfigError(
                f"target-share must be comma-separated numbers, got {self.target_share!r}"
            ) from None
        check(
            all(math.isfinite(v) and v >= 0 for v in vals) and sum(vals) > 0,
            "target_share",
            f"must be finite, non-negative, with a positive sum, got {self.target_share!r}",
        )
        return vals

    def scenario_spec(self, num_partitions: int | None = None) -> ScenarioSpec:
        """The scenario with this run's overrides (0 / "" keep the default)."""
        over: dict[str, Any] = {"seed": self.seed}
        k = num_partitions or self.num_partitions
        if k:
            over["num_partitions"] = k
        for name in (
            "alpha",
            "minority_share",
            "minority_partitions",
            "num_samples",
            "conditioning",
        ):
            if getattr(self, name):
                over[name] = getattr(self, name)
        spec = scenario_spec(self.scenario)
        if "num_partitions" not in over and self.minority_partitions > spec.num_partitions:
            over["num_partitions"] = self.minority_partitions
        return scenario_spec(self.scenario, **over)

    @property
    def output_path(self) -> Path:
        """``output-dir`` as a path."""
        return Path(self.output_dir).expanduser()


def _field_types() -> dict[str, Any]:
    hints = typing.get_type_hints(RunConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(RunConfig) if f.init}
