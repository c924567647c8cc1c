"""Benchmark: cost of the gradient penalty in a critic step, and its accuracy.

Prints the median time of one critic step (reweighted loss + optimiser step) with no
penalty, with the penalty every step, and with cheaper schedules (lazy every k steps,
sub-batch), amortised over k steps, for an MLP critic (2-D input, batch 256, 3×128) and
a conv critic (1×28×28, batch 64). Then trains on the 8-Gaussian ring centralised with
each schedule and reports mean |‖∇D(x̂)‖ − 1| on fresh interpolates.

    python -m simulations.benchmarks.penalty_cost [--repeats 200] [--train-steps 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch

from fedgan.data import load_scenario
from fedgan.models import build_models
from fedgan.penalties import input_gradient_norms
from fedgan.training import (
    BatchSampler,
    ClientData,
    LocalState,
    TrainConfig,
    critic_step,
    train_local,
)

SCHEDULES: dict[str, dict[str, float]] = {
    "plain (λ=0)": {"lambda_gp": 0.0},
    "GP every step": {},
    "quarter batch": {"gp_fraction": 0.25},
    "lazy k=2": {"gp_every": 2},
    "lazy k=4": {"gp_every": 4},
    "lazy k=4, half batch": {"gp_every": 4, "gp_fraction": 0.5},
    "lazy k=8": {"gp_every": 8},
}
DEFAULT = TrainConfig(batch_sampling="uniform")


def _time_steps(
    data_shape: tuple[int, ...], kind: str, batch: int, config: TrainConfig, repeats: int
) -> float:
    torch.manual_seed(0)
    gen, critic = build_models(data_shape, kind=kind, hidden=128 if kind == "mlp" else 32)  # type: ignore[arg-type]
    data = ClientData(
        torch.randn(4 * batch, *data_shape), torch.randint(0, 2, (4 * batch,)), None, 2
    )
    cfg = dataclasses.replace(config, batch_size=batch)
    state = LocalState.create(critic, data, cfg)
    rng = torch.Generator().manual_seed(0)
    rows = BatchSampler(data, batch_size=batch, sampling="uniform", rng=rng).batch()
    fake = gen.sample(batch)
    schedule = cfg.penalty_schedule()
    term = schedule.term(2, torch.device("cpu"))
    k = cfg.gp_every

    def step() -> None:
        on = schedule.applies(state.steps)
        critic_step(
            state, rows, fake, num_groups=2, paired=False, penalty=term if on else None, rng=rng
        )

    for _ in range(max(3, k)):  # warm-up
        step()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(k):  # one full lazy cycle, amortised
            step()
        times.append((time.perf_counter() - t) / k)
    return statistics.median(times) * 1e3


def _ring_gap(config: TrainConfig, steps: int, seed: int = 0) -> float:
    torch.manual_seed(seed)
    sc = load_scenario("ring8-iid")
    data = ClientData(torch.from_numpy(sc.x), torch.from_numpy(sc.group), None, sc.num_groups)
    gen, critic = build_models((2,), hidden=128)
    cfg = dataclasses.replace(config, generator_steps=steps)
    state = LocalState.create(critic, data, cfg)
    state.bind_generator(gen)
    train_local(gen, state, data, seed=seed)
    real = data.x[torch.randperm(len(data.x))[:2048]]
    fake = gen.sample(2048)
    eps = torch.rand(2048, 1)
    norms = input_gradient_norms(critic, eps * real + (1 - eps) * fake).detach()
    return float((norms - config.gp_target).abs().mean())


def main(argv: list[str] | None = None) -> None:
    """Print cost (both critics) and ring accuracy for each schedule."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument(
        "--train-steps", type=int, default=2000, help="generator steps on the ring (0: skip)"
    )
    args = ap.parse_args(argv)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device cpu")
    critics = (
        ("MLP 2-D b256 3x128", (2,), "mlp", 256),
        ("conv 1x28x28 b64", (1, 28, 28), "conv", 64),
    )
    print(
        f"{'schedule':<24}" + "".join(f"{c[0]:>28}" for c in critics) + "   ring mean |‖∇D(x̂)‖−1|"
    )
    base: dict[str, float] = {}
    for name, over in SCHEDULES.items():
        cfg = dataclasses.replace(DEFAULT, **over)  # type: ignore[arg-type]
        row = f"{name:<24}"
        for label, shape, kind, batch in critics:
            ms = _time_steps(shape, kind, batch, cfg, args.repeats)
            base.setdefault(label, ms)
            row += f"{ms:12.3f} ms  x{ms / base[label]:5.2f}     "
        if args.train_steps and cfg.penalty_schedule().active:
            row += f"{_ring_gap(cfg, args.train_steps):.4f}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
