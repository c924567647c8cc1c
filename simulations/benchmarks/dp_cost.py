"""Benchmark: a private critic step against the non-private step, both with the penalty.

The private step computes exact per-sample gradients (penalty included) and lets
opacus clip, add noise and account.

    python -m simulations.benchmarks.dp_cost [--repeats 30]

MLP critic: 2-D input, batch 256, 3×128. Conv critic: 1×28×28, batch 64.
"""

from __future__ import annotations

import argparse

import torch

from fedgan.models import build_models
from fedgan.penalties import gradient_penalty
from fedgan.privacy import PrivateCritic, make_private_critic
from simulations.benchmarks._timing import median_ms


def main(argv: list[str] | None = None) -> None:
    """Print the median times and the ratio for both critics."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args(argv)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device cpu")
    for label, shape, kind, batch, hidden in (
        ("MLP 2-D b256 3x128", (2,), "mlp", 256, 128),
        ("conv 1x28x28 b64", (1, 28, 28), "conv", 64, 32),
    ):
        torch.manual_seed(0)
        _, critic = build_models(shape, kind=kind, hidden=hidden)  # type: ignore[arg-type]
        _, dp_critic = build_models(shape, kind=kind, hidden=hidden)  # type: ignore[arg-type]
        real, fake = torch.randn(batch, *shape), torch.randn(batch, *shape)
        opt = torch.optim.Adam(critic.parameters(), lr=1e-4)

        def plain_step(
            critic: torch.nn.Module = critic,
            opt: torch.optim.Optimizer = opt,
            real: torch.Tensor = real,
            fake: torch.Tensor = fake,
        ) -> None:
            loss = critic(fake).mean() - critic(real).mean() + gradient_penalty(critic, real, fake)
            opt.zero_grad()
            loss.backward()
            opt.step()

        private = make_private_critic(
            critic=dp_critic,
            optimizer=torch.optim.Adam(dp_critic.parameters(), lr=1e-4),
            sample_size=100 * batch,
            batch_size=batch,
            max_grad_norm=1.0,
            noise_multiplier=1.0,
        )

        def private_step(
            private: PrivateCritic = private, real: torch.Tensor = real, fake: torch.Tensor = fake
        ) -> None:
            private.step(real, fake)

        a = median_ms(plain_step, args.repeats)
        b = median_ms(private_step, args.repeats)
        print(f"{label}: non-private GP step {a:8.2f} ms | DP GP step {b:8.2f} ms | x{b / a:5.2f}")


if __name__ == "__main__":
    main()
