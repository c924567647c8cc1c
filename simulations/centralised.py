"""Centralised reference: one WGAN-GP on the pooled data, scored like a federated run.

    python -m simulations.centralised --run-config 'scenario="grid25-minority" seed=1'

Uses the same run config (``num-server-rounds`` × ``generator-steps`` generator
updates, evaluated after each block of ``generator-steps``) and writes the same
files (``metrics.csv``, ``samples.csv``, ``generator.pt``, ``config.json``).
"""

from __future__ import annotations

import argparse
import shlex
import time
import tomllib

import torch

from fedgan.config import RunConfig
from fedgan.data import load_scenario
from fedgan.federated import GeneratorEvaluator, make_models, write_results
from fedgan.training import ClientData, CriticState, resolve_device, train_local

__all__ = ["run_centralised"]


def run_centralised(config: RunConfig, *, verbose: bool = True) -> None:
    """Train on all rows at once and write results to ``config.output_dir``."""
    device = resolve_device(config.device)
    scenario = load_scenario(config.scenario_spec(), name=config.scenario)
    torch.manual_seed(config.seed)
    generator, critic = make_models(config, scenario)
    generator.to(device)
    critic.to(device)
    x = torch.from_numpy(scenario.x)
    if config.model == "conv" and scenario.image_shape is not None:
        x = x.view(-1, *scenario.image_shape)
    labels = torch.from_numpy(scenario.label) if scenario.num_labels else None
    data = ClientData(x, torch.from_numpy(scenario.group), labels, scenario.num_groups).to(device)
    train_config = config.train_config()
    state = CriticState.create(critic, data, train_config)
    opt_g = torch.optim.Adam(generator.parameters(), lr=train_config.lr_g, betas=train_config.betas)
    evaluator = GeneratorEvaluator(scenario, config, device)
    evaluator.evaluate(0, generator)
    t0 = time.perf_counter()
    for rnd in range(1, config.num_server_rounds + 1):
        train_local(
            generator,
            state,
            data,
            train_config,
            generator_optimizer=opt_g,
            seed=config.seed * 7919 + rnd,
        )
        flat = evaluator.evaluate(rnd, generator)
        if verbose:
            shown = "  ".join(
                f"{k.removeprefix('eval/')}={v:.3g}" for k, v in flat.items() if k.count("/") == 1
            )
            print(
                f"[centralised] round {rnd:3d}/{config.num_server_rounds}  {shown}  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    write_results(
        config.output_path,
        table=evaluator.table(),
        config=config,
        generator_state={k: v.cpu() for k, v in generator.state_dict().items()},
        samples=evaluator.last_samples,
    )


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--run-config", default="", help="TOML key=value pairs, space-separated")
    args = ap.parse_args(argv)
    values = tomllib.loads("\n".join(shlex.split(args.run_config, posix=False)))
    run_centralised(RunConfig.from_mapping(values))


if __name__ == "__main__":
    main()
