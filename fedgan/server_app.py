"""Flower ServerApp: build the run, aggregate generators, evaluate and write results."""

from __future__ import annotations

import logging
import time

import pandas as pd
import torch
from flwr.app import ArrayRecord, ConfigRecord, Context, MetricRecord
from flwr.serverapp import Grid, ServerApp
from threadpoolctl import threadpool_limits

from fedgan.client_app import SHARED_CRITIC_PREFIX
from fedgan.config import RunConfig
from fedgan.data import load_scenario
from fedgan.federated import GeneratorEvaluator, make_models, write_results
from fedgan.training import resolve_device
from strategies import MinorityWeightedFedAvg

app = ServerApp()
log = logging.getLogger("fedgan")


def _fork_safe_blas() -> None:
    """Keep BLAS single-threaded in this process.

    Flower starts Ray (fork + exec) in the main thread while the ServerApp thread
    evaluates the initial generator; a fork during a multi-threaded OpenBLAS call
    deadlocks the whole process, and Flower then drops the run for missed heartbeats.
    """
    threadpool_limits(limits=1, user_api="blas")


@app.main()
def main(grid: Grid, context: Context) -> None:
    """Run ``num-server-rounds`` rounds and write the results under ``output-dir``."""
    _fork_safe_blas()
    config = RunConfig.from_mapping(context.run_config)  # rejects bad keys before any work
    out = config.output_path
    device = resolve_device(config.device)
    scenario = load_scenario(config.scenario_spec(), name=config.scenario)
    torch.manual_seed(config.seed)
    generator, critic = make_models(config, scenario)
    initial = dict(generator.state_dict())
    if config.share_critic:
        initial |= {SHARED_CRITIC_PREFIX + k: v for k, v in critic.state_dict().items()}
    evaluator = GeneratorEvaluator(scenario, config, device)
    generator.to(device)
    t0 = time.perf_counter()

    def evaluate(server_round: int, arrays: ArrayRecord) -> MetricRecord:
        weights = arrays.to_torch_state_dict()
        generator.load_state_dict(
            {k: v for k, v in weights.items() if not k.startswith(SHARED_CRITIC_PREFIX)}
        )
        flat = evaluator.evaluate(server_round, generator)
        shown = "  ".join(
            f"{k.removeprefix('eval/')}={v:.3g}" for k, v in flat.items() if k.count("/") == 1
        )
        print(
            f"[fedgan] round {server_round:3d}/{config.num_server_rounds}  {shown}  ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        return MetricRecord(flat)  # type: ignore[arg-type]

    strategy = MinorityWeightedFedAvg(
        scheme=config.aggregation,  # type: ignore[arg-type]
        beta=config.beta,
        target_share=config.target_shares(),
        fraction_train=1.0,
        fraction_evaluate=0.0,
        min_train_nodes=config.min_nodes,
        min_available_nodes=config.min_nodes,
    )
    result = strategy.start(
        grid=grid,
        initial_arrays=ArrayRecord(initial),
        num_rounds=config.num_server_rounds,
        train_config=ConfigRecord({}),
        evaluate_fn=evaluate,
    )

    table = _tidy(evaluator.table(), result.train_metrics_clientapp)
    final = result.arrays.to_torch_state_dict()
    write_results(
        out,
        table=table,
        config=config,
        generator_state={k: v for k, v in final.items() if not k.startswith(SHARED_CRITIC_PREFIX)},
        samples=evaluator.last_samples,
        weights=pd.DataFrame(strategy.weight_log),
        clients=pd.DataFrame(strategy.client_log),
    )
    last = table[table["round"] == table["round"].max()]
    print(
        "\n[fedgan] final coverage per group\n"
        + last.drop(columns=["round"]).to_string(index=False),
        flush=True,
    )
    print(f"[fedgan] results written to {out.resolve()}", flush=True)


def _tidy(evaluation: pd.DataFrame, train: dict[int, MetricRecord]) -> pd.DataFrame:
    """Join the per-round evaluation with pooled training statistics (round × group)."""
    rows = []
    for rnd, rec in train.items():
        groups = {int(k.split("/")[1]) for k in rec if k.startswith("group/")}
        for g in sorted(groups):
            rows.append(
                {"round": rnd, "group": g}
                | {f"train_{s.replace('-', '_')}": rec.get(f"group/{g}/{s}", float("nan")) for s in ("count", "wasserstein", "grad-norm")}
            )  # fmt: skip
    if not rows:
        return evaluation
    return evaluation.merge(pd.DataFrame(rows), on=["round", "group"], how="left")
