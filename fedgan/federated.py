"""Flower-free pieces of a federated run, used by the thin client and server apps.

* :func:`client_data` builds a client's partition once per process and keeps it.
* :func:`critic_to_arrays` / :func:`critic_from_arrays` persist a client's critic,
  its Adam state and its group weights between rounds (in the client's own state).
* :class:`GeneratorEvaluator` scores the global generator after every round.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from fedgan._io import atomic_write, write_csv, write_json
from fedgan.config import RunConfig
from fedgan.data import Scenario, ScenarioSpec, load_scenario, partition_scenario
from fedgan.metrics import digits_classifier, mode_coverage, prdc, tstr_fairness
from fedgan.models import Critic, Generator, build_models
from fedgan.training import ClientData, CriticState, TrainConfig

__all__ = [
    "GeneratorEvaluator",
    "client_data",
    "critic_from_arrays",
    "critic_to_arrays",
    "make_models",
    "restore_dp_steps",
    "round_seed",
    "write_results",
]

log = logging.getLogger("fedgan")


@functools.lru_cache(maxsize=4)
def _split(spec: ScenarioSpec) -> tuple[Scenario, tuple[np.ndarray, ...]]:
    scenario = load_scenario(spec)
    return scenario, tuple(partition_scenario(scenario, spec))


@functools.lru_cache(maxsize=64)
def _client_data(spec: ScenarioSpec, partition_id: int, image: bool, device: str) -> ClientData:
    scenario, parts = _split(spec)
    idx = parts[partition_id]
    x = torch.from_numpy(scenario.x[idx])
    if image and scenario.image_shape is not None:
        x = x.view(-1, *scenario.image_shape)
    labels = torch.from_numpy(scenario.label[idx]) if scenario.num_labels else None
    data = ClientData(x, torch.from_numpy(scenario.group[idx]), labels, scenario.num_groups)
    return data.to(torch.device(device))


def client_data(
    config: RunConfig, partition_id: int, num_partitions: int, device: torch.device
) -> tuple[Scenario, ClientData]:
    """The client's rows on ``device``; the split is computed once per process.

    Raises
    ------
    ValueError
        If ``partition_id`` is outside ``[0, num_partitions)``.
    """
    if not 0 <= partition_id < num_partitions:
        raise ValueError(f"partition-id must be in [0, {num_partitions}), got {partition_id}")
    spec = config.scenario_spec(num_partitions)
    scenario, _ = _split(spec)
    return scenario, _client_data(spec, partition_id, config.model == "conv", str(device))


def make_models(config: RunConfig, scenario: Scenario) -> tuple[Generator, Critic]:
    """Generator and critic shaped for the scenario and the run config."""
    shape = (
        scenario.image_shape
        if config.model == "conv" and scenario.image_shape
        else (scenario.data_dim,)
    )
    if config.model == "conv" and scenario.image_shape is None:
        raise ValueError(f"model 'conv' needs image data; scenario {scenario.name!r} is not images")
    return build_models(
        tuple(shape), kind=config.model, num_labels=scenario.num_labels,  # type: ignore[arg-type]
        latent_dim=config.latent_dim, hidden=config.hidden,
    )  # fmt: skip


def round_seed(seed: int, server_round: int, partition_id: int) -> int:
    """A distinct, reproducible seed per (run seed, round, client)."""
    return (seed * 1_000_003 + server_round * 10_007 + partition_id) % (2**31 - 1)


def critic_to_arrays(state: CriticState) -> dict[str, np.ndarray]:
    """Flatten critic weights, Adam state, group weights and step count to arrays."""
    out = {f"model/{k}": v.detach().cpu().numpy() for k, v in state.critic.state_dict().items()}
    for pid, slots in state.optimizer.state_dict()["state"].items():
        for name, value in slots.items():
            out[f"opt/{pid}/{name}"] = torch.as_tensor(value).detach().cpu().numpy()
    out["meta/group_weights"] = state.reweighter._weights.numpy()
    out["meta/steps"] = np.asarray([state.steps], dtype=np.int64)
    dp = state.private or state.generator_privacy
    out["meta/dp_steps"] = np.asarray([dp.steps if dp is not None else 0], dtype=np.int64)
    return out


def critic_from_arrays(
    critic: Critic, data: ClientData, config: TrainConfig, arrays: dict[str, np.ndarray]
) -> CriticState:
    """Rebuild a :class:`CriticState` saved by :func:`critic_to_arrays` (privacy not attached).

    After :func:`fedgan.privacy.attach_privacy`, restore the accounted steps with
    :func:`restore_dp_steps`.
    """
    device = next(critic.parameters()).device
    critic.load_state_dict(
        {k[6:]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith("model/")}
    )
    state = CriticState.create(critic, data, config)
    opt_state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in arrays.items():
        if key.startswith("opt/"):
            _, pid, name = key.split("/", 2)
            t = torch.from_numpy(np.array(value))
            opt_state.setdefault(int(pid), {})[name] = t if name == "step" else t.to(device)
    if opt_state:
        groups = state.optimizer.state_dict()["param_groups"]
        state.optimizer.load_state_dict({"state": opt_state, "param_groups": groups})
    state.reweighter._weights = torch.from_numpy(np.array(arrays["meta/group_weights"]))
    state.steps = int(np.array(arrays["meta/steps"])[0])
    return state


def restore_dp_steps(state: CriticState, arrays: dict[str, np.ndarray]) -> None:
    """Put back the number of accounted private steps saved by :func:`critic_to_arrays`."""
    dp = state.private or state.generator_privacy
    if dp is not None and "meta/dp_steps" in arrays:
        dp.steps = int(np.array(arrays["meta/dp_steps"])[0])


@dataclass
class GeneratorEvaluator:
    """Scores the global generator each round; keeps tidy rows (round × group)."""

    scenario: Scenario
    config: RunConfig
    device: torch.device
    rows: list[dict[str, Any]] = field(default_factory=list)
    last_samples: np.ndarray | None = None

    def evaluate(self, server_round: int, generator: Generator) -> dict[str, float]:
        """Sample ``eval-samples`` rows and score them; return flat hierarchical metrics."""
        sc, n = self.scenario, self.config.eval_samples
        g = torch.Generator(device=self.device).manual_seed(self.config.seed + 7)
        labels = None
        if sc.num_labels:
            p = torch.as_tensor(sc.label_weights, dtype=torch.float64, device=self.device)
            labels = torch.multinomial(p, n, replacement=True, generator=g)
        generator.eval()
        x = generator.sample(n, labels=labels, generator=g).reshape(n, -1).cpu().numpy()
        self.last_samples = x
        if not np.isfinite(x).all():
            raise FloatingPointError(
                f"round {server_round}: the generator produced NaN or inf samples"
            )
        per_group, overall = _score(sc, x, self.seed_rows())
        flat = {f"eval/{k}": v for k, v in overall.items()}
        for gi, r in per_group.iterrows():
            for col in ("modes_captured", "mass_ratio", "coverage", "precision", "recall"):
                if col in r and np.isfinite(r[col]):
                    flat[f"eval/group/{gi}/{col.replace('_', '-')}"] = float(r[col])
            totals = {
                "overall_" + k.replace("-", "_").replace("/", "_"): v for k, v in overall.items()
            }
            self.rows.append({"round": server_round, "group": gi, **r.to_dict(), **totals})
        return flat

    def seed_rows(self) -> np.ndarray:
        """Indices of the fixed real reference sample (at most 1,500 rows)."""
        n = len(self.scenario.x)
        return np.random.default_rng(self.config.seed).permutation(n)[: min(n, 1500)]

    def table(self) -> pd.DataFrame:
        """The tidy evaluation table, one row per round × group."""
        return pd.DataFrame(self.rows)


def _score(sc: Scenario, x: np.ndarray, ref: np.ndarray) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per-group table and overall numbers for generated rows ``x``."""
    real, real_groups = sc.x[ref].reshape(len(ref), -1), sc.group[ref]
    pr = prdc(real, x, real_groups=real_groups)
    table = pr.per_group[["precision", "recall", "coverage"]].copy()
    overall = {
        "precision": pr.precision,
        "recall": pr.recall,
        "density": pr.density,
        "coverage": pr.coverage,
    }
    if sc.mode_means is not None and sc.mode_stds is not None:
        cov = mode_coverage(
            x, sc.mode_means, sc.mode_stds, weights=sc.mode_weights, mode_groups=sc.mode_groups
        )
        mc = cov.per_group.copy()
        mc["missing_modes"] = mc["missing_modes"].map(lambda m: " ".join(map(str, m)))
        table = mc.join(table)
        overall |= {
            "modes": float(cov.modes_captured),
            "hq": cov.hq_fraction,
            "reverse-kl": cov.reverse_kl,
        }
    elif sc.image_shape is not None:  # digits: a classifier assigns each image a class (mode)
        clf = digits_classifier(0)
        pred = clf.predict(x)
        share = np.bincount(pred, minlength=sc.num_modes) / len(pred)
        gen_g = np.bincount(sc.mode_groups, weights=share, minlength=sc.num_groups)
        real_g = sc.group_weights
        table["modes_captured"] = [
            int(((share > 0) & (sc.mode_groups == gi)).sum()) for gi in table.index
        ]
        table["modes"] = [int((sc.mode_groups == gi).sum()) for gi in table.index]
        table["generated_share"] = gen_g[table.index]
        table["real_share"] = real_g[table.index]
        table["mass_ratio"] = table["generated_share"] / table["real_share"]
        overall |= {"modes": float((share > 0).sum()), "classifier-accuracy": clf.test_accuracy}
    elif sc.encoder is not None:  # tabular: train on synthetic, test on real, by group
        real_df = sc.encoder.decode(sc.x)
        try:
            fair = tstr_fairness(sc.encoder.decode(x), real_df)
            overall |= {
                f"tstr/{r['sensitive']}/{k.replace('_', '-')}": float(r[k])
                for _, r in fair[fair.group == "overall"].iterrows()
                for k in ("accuracy", "dp_difference", "eo_difference")
            }
        except ValueError:  # e.g. generated rows hold a single class
            overall |= {"tstr/failed": 1.0}
        shares = np.bincount(
            np.argmax(x[:, _group_block(sc)], axis=1), minlength=sc.num_groups
        ) / len(x)
        table["generated_share"] = shares[table.index]
        table["real_share"] = sc.group_weights[table.index]
        table["mass_ratio"] = table["generated_share"] / table["real_share"]
    return table, overall


def _group_block(sc: Scenario) -> np.ndarray:
    """Columns of the one-hot block that encodes the group attribute, in group order."""
    enc = sc.encoder
    j = len(enc.numeric)
    for _, values in enc.categories:
        if tuple(sorted(sc.group_names)) == tuple(values):
            return np.array([j + values.index(name) for name in sc.group_names])
        j += len(values)
    raise ValueError(f"no one-hot block encodes the groups {sc.group_names}")


def write_results(
    out: Path,
    *,
    table: pd.DataFrame,
    config: RunConfig,
    generator_state: dict[str, torch.Tensor],
    samples: np.ndarray | None,
    weights: pd.DataFrame | None = None,
    clients: pd.DataFrame | None = None,
) -> None:
    """Write a run's files under ``out``, each atomically (temp file, then rename)."""
    write_csv(out / "metrics.csv", table)
    if weights is not None:
        write_csv(out / "weights.csv", weights)
    if clients is not None:
        write_csv(out / "clients.csv", clients)
    if samples is not None:
        write_csv(out / "samples.csv", pd.DataFrame(samples).add_prefix("x"))
    atomic_write(out / "generator.pt", lambda f: torch.save(generator_state, f))
    settings = {k.replace("_", "-"): v for k, v in vars(config).items()}
    write_json(out / "config.json", settings | {"scenario-spec": vars(config.scenario_spec())})
