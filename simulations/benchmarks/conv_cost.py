"""Benchmark: where a conv round's time goes on 8×8 digits, and what the layout saves.

Prints the median time of a generator forward pass (what a client pays to sample its
sources), a critic step with the gradient penalty, and a generator step, for today's conv
layout and, as a reference, the layout before 2026-12-06 (upsampling ``2·hidden`` channels to
full size), plus the MLP at the same width. One thread, as each simulated client runs.

    python -m simulations.benchmarks.conv_cost [--hidden 128] [--batch 128 512] [--repeats 10]
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from fedgan.models import build_models
from fedgan.penalties import group_gradient_penalty
from simulations.benchmarks._timing import median_ms

SHAPE = (1, 8, 8)


def _old_generator_body(latent: int, hidden: int) -> nn.Module:
    """The layout before 2026-12-06: 2·hidden channels at 4×4, upsampled, conv at 8×8."""
    return nn.Sequential(
        nn.Linear(latent, 2 * hidden * 16),
        nn.ReLU(),
        nn.Unflatten(1, (2 * hidden, 4, 4)),
        nn.Upsample(scale_factor=2),
        nn.Conv2d(2 * hidden, hidden, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(hidden, 1, 3, padding=1),
    )


def _old_critic(hidden: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, hidden, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(hidden, 2 * hidden, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2 * hidden, 1),
    )


def _costs(gen: nn.Module, critic: nn.Module, batch: int, repeats: int) -> list[float]:
    """Generator forward, critic step with penalty, generator step (ms)."""
    real = torch.randn(batch, *SHAPE)
    groups = torch.zeros(batch, dtype=torch.long)
    opt_g = torch.optim.Adam(gen.parameters())
    opt_d = torch.optim.Adam(critic.parameters())

    def score(x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return critic(x).reshape(-1)

    def sample() -> torch.Tensor:
        return gen(torch.randn(batch, 8)).view(batch, *SHAPE)

    def forward() -> None:
        with torch.no_grad():
            sample()

    def critic_step() -> None:
        with torch.no_grad():
            fake = sample()
        gp = group_gradient_penalty(score, real, fake, groups, lambda_gp=1.0).penalty
        loss = score(fake).mean() - score(real).mean() + gp
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()

    def generator_step() -> None:
        loss = -score(sample()).mean()
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()

    return [median_ms(f, repeats) for f in (forward, critic_step, generator_step)]


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(1)
    h = args.hidden
    print(f"8×8, hidden {h}, one thread; median ms over {args.repeats} repeats")
    print("| models | parameters G / D | batch | G forward | critic step (GP) | generator step |")
    print("| --- | --- | --- | --- | --- | --- |")
    for batch in args.batch:
        torch.manual_seed(0)
        conv_g, conv_d = build_models(SHAPE, kind="conv", hidden=h)
        mlp_g, mlp_d = build_models(SHAPE, kind="mlp", hidden=h)
        rows = {
            "conv (today)": (conv_g, conv_d),
            "conv (before 2026-12-06)": (_old_generator_body(8, h), _old_critic(h)),
            "mlp": (mlp_g, mlp_d),
        }
        for name, (g, d) in rows.items():
            sizes = " / ".join(f"{sum(p.numel() for p in m.parameters()):,}" for m in (g, d))
            f, c, s = _costs(g, d, batch, args.repeats)
            print(f"| {name} | {sizes} | {batch} | {f:.1f} | {c:.1f} | {s:.1f} |")


if __name__ == "__main__":
    main()
