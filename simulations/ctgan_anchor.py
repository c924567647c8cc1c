"""CTGAN trained centrally on the pooled training records: the table anchor users would pick.

    python -m simulations.ctgan_anchor --run-config 'scenario="arrests-colour" seed=1'

CTGAN (``ctgan``, the Synthetic Data Vault's conditional tabular GAN; an optional extra:
``pip install "fedgan[ctgan]"``) is fitted on every training record of the scenario at
once, with its own defaults (300 epochs, batches of 500) unless ``--epochs`` says
otherwise, then scored by the same code as a fedgan run (``score_samples``, the same
held-out records, the same sample count): the same files (``metrics.csv``,
``verdict.txt``, ``samples.csv``) under ``output-dir``, with the CTGAN generator's weights
in ``generator.pt``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fedgan.config import RunConfig
from fedgan.data import Scenario, load_scenario
from fedgan.evaluation import Evaluator, verdict
from fedgan.results import RunFiles, run_settings, samples_frame, write_run
from fedgan.training import resolve_device, use_cpus
from simulations._cli import add_cpus_option, parse_run_config

__all__ = ["DEFAULT_EPOCHS", "run_ctgan"]

DEFAULT_EPOCHS = 300  # CTGAN's own default


class _Sampler:
    """What the evaluator needs of a generator, over a fitted CTGAN."""

    num_sources = 0

    def __init__(self, model: Any, scenario: Scenario, seed: int) -> None:
        self.model, self.scenario, self.seed = model, scenario, seed

    def eval(self) -> None:
        """CTGAN samples in evaluation mode by itself."""

    def sample(self, n: int, **_: Any) -> torch.Tensor:
        self.model.set_random_state(self.seed + 7)
        records = self.model.sample(n)
        return torch.as_tensor(self.scenario.encoder.encode(records))


def run_ctgan(config: RunConfig, *, epochs: int = DEFAULT_EPOCHS, verbose: bool = True) -> Path:
    """Fit CTGAN on the scenario's training records; score and write it like a run.

    Raises
    ------
    ValueError
        For a scenario that is not a table, or ``epochs`` < 1.
    ImportError
        Without ``ctgan`` installed.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    scenario = load_scenario(config.scenario_spec(), name=config.scenario)
    if scenario.kind != "tabular":
        raise ValueError(f"scenario {config.scenario!r} is not a table; CTGAN models tables")
    try:
        from ctgan import CTGAN
    except ImportError as err:
        raise ImportError("the CTGAN anchor needs ctgan: pip install 'fedgan[ctgan]'") from err
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)  # noqa: NPY002 - parts of ctgan draw from the legacy global RNG
    records = scenario.encoder.decode(scenario.x)
    gpu = resolve_device(config.device).type == "cuda"
    model = CTGAN(epochs=epochs, verbose=False, enable_gpu=gpu)
    model.set_random_state(config.seed)
    model.fit(records, discrete_columns=[c for c, _ in scenario.encoder.categories])
    evaluator = Evaluator(
        scenario, samples=config.eval_samples, seed=config.seed, device=torch.device("cpu")
    )
    sampler = _Sampler(model, scenario, config.seed)
    evaluator.evaluate(config.num_server_rounds, sampler)  # type: ignore[arg-type]
    metrics = evaluator.table()
    title = f"CTGAN anchor: {config.scenario}, centralised, {epochs} epochs, seed {config.seed}"
    judged = verdict(metrics, title=title, reference=None, reference_name="federated run")
    assert evaluator.last_samples is not None
    files = RunFiles(
        settings=run_settings(config, mode="ctgan", **{"ctgan-epochs": epochs}),
        metrics=metrics,
        verdict=judged,
        generator_state={k: v.detach().cpu() for k, v in model._generator.state_dict().items()},
        samples=samples_frame(scenario, evaluator.last_samples),
    )
    out = write_run(config.output_path, files)
    if verbose:
        print(f"{judged.text()}\n[ctgan] results written to {out.resolve()}")
    return out


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--run-config", default="", help="TOML key=value pairs, space-separated")
    ap.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="CTGAN epochs (300)")
    add_cpus_option(ap)
    args = ap.parse_args(argv)
    use_cpus(args.num_cpus)
    run_ctgan(RunConfig.from_mapping(parse_run_config(args.run_config)), epochs=args.epochs)


if __name__ == "__main__":
    main()
