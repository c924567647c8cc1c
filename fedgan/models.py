"""Generators and critics: MLP (2-D, tabular) and small conv nets (8×8, 28×28).

Critics use LeakyReLU and no BatchNorm (the gradient penalty is per sample).
Conditional variants take ``num_labels > 0``: the generator concatenates a
label embedding to its noise; the critic adds a projection term
``⟨embed(y), φ(x)⟩`` (Miyato & Koyama 2018) to its unconditional score.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

__all__ = ["Critic", "Generator", "ModelKind", "build_models"]

ModelKind = Literal["mlp", "conv"]


def _check_sizes(**sizes: int) -> None:
    for name, v in sizes.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}")


class Generator(nn.Module):
    """Map noise (and an optional label) to a sample.

    Parameters
    ----------
    data_shape : tuple of int
        Shape of one sample: ``(d,)`` for vectors, ``(1, 8, 8)`` or ``(1, 28, 28)`` for images.
    latent_dim : int
        Noise dimension.
    num_labels : int
        0 for an unconditional generator.
    kind : {"mlp", "conv"}
        Architecture.
    hidden : int
        Width of the MLP layers or base channels of the conv net.
    depth : int
        Number of hidden MLP layers (MLP only).
    """

    def __init__(
        self,
        data_shape: tuple[int, ...],
        *,
        latent_dim: int = 8,
        num_labels: int = 0,
        kind: ModelKind = "mlp",
        hidden: int = 128,
        depth: int = 3,
    ) -> None:
        super().__init__()
        _check_sizes(latent_dim=latent_dim, num_labels=num_labels, hidden=hidden, depth=depth)
        self.data_shape = tuple(data_shape)
        self.latent_dim = latent_dim
        self.num_labels = num_labels
        self.embed = nn.Embedding(num_labels, latent_dim) if num_labels else None
        in_dim = latent_dim * (2 if num_labels else 1)
        out_dim = math.prod(self.data_shape)
        if kind == "mlp":
            layers: list[nn.Module] = []
            d = in_dim
            for _ in range(depth):
                layers += [nn.Linear(d, hidden), nn.LeakyReLU(0.2)]
                d = hidden
            layers.append(nn.Linear(d, out_dim))
            self.net: nn.Module = nn.Sequential(*layers)
        else:
            self.net = _ConvUp(in_dim, self.data_shape, hidden)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Generate ``[B, *data_shape]`` samples from noise ``z`` ``[B, latent_dim]``."""
        if self.embed is not None:
            if labels is None:
                raise ValueError("labels are required: this generator is conditional")
            z = torch.cat([z, self.embed(labels)], dim=1)
        return self.net(z).view(z.shape[0], *self.data_shape)

    def sample(
        self, n: int, *, labels: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        """Draw ``n`` samples (no grad), noise on the model's device."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, device=device, generator=generator)
        with torch.no_grad():
            return self(z, None if labels is None else labels.to(device))


class Critic(nn.Module):
    """Wasserstein critic; one real score per row, no BatchNorm.

    Parameters are those of :class:`Generator` minus ``latent_dim``.
    """

    def __init__(
        self,
        data_shape: tuple[int, ...],
        *,
        num_labels: int = 0,
        kind: ModelKind = "mlp",
        hidden: int = 128,
        depth: int = 3,
    ) -> None:
        super().__init__()
        _check_sizes(num_labels=num_labels, hidden=hidden, depth=depth)
        self.data_shape = tuple(data_shape)
        if kind == "mlp":
            layers: list[nn.Module] = [nn.Flatten()]
            d = math.prod(self.data_shape)
            for _ in range(depth):
                layers += [nn.Linear(d, hidden), nn.LeakyReLU(0.2)]
                d = hidden
            self.features: nn.Module = nn.Sequential(*layers)
            feat = hidden
        else:
            self.features = _ConvDown(self.data_shape, hidden)
            feat = hidden * 2
        self.head = nn.Linear(feat, 1)
        self.embed = nn.Embedding(num_labels, feat) if num_labels else None

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """Score ``[B]`` for inputs ``[B, *data_shape]``."""
        h = self.features(x)
        out = self.head(h).squeeze(1)
        if self.embed is not None:
            if labels is None:
                raise ValueError("labels are required: this critic is conditional")
            out = out + (self.embed(labels) * h).sum(1)
        return out


class _ConvUp(nn.Module):
    """Noise → image for square single-channel images of side 8 or 28."""

    def __init__(self, in_dim: int, shape: tuple[int, ...], ch: int) -> None:
        super().__init__()
        c, side = shape[0], shape[-1]
        if side not in (8, 28) or shape[-2] != side:
            raise ValueError(f"conv models support 8×8 and 28×28 images, got {shape}")
        self.start = 4 if side == 8 else 7
        self.ch = ch * 2
        self.fc = nn.Sequential(nn.Linear(in_dim, self.ch * self.start**2), nn.LeakyReLU(0.2))
        ups: list[nn.Module] = []
        n_up = 1 if side == 8 else 2
        cur = self.ch
        for _ in range(n_up):
            ups += [
                nn.Upsample(scale_factor=2),
                nn.Conv2d(cur, ch, 3, padding=1),
                nn.LeakyReLU(0.2),
            ]
            cur = ch
        ups.append(nn.Conv2d(cur, c, 3, padding=1))
        self.up = nn.Sequential(*ups)

    def forward(self, z: Tensor) -> Tensor:
        return self.up(self.fc(z).view(-1, self.ch, self.start, self.start))


class _ConvDown(nn.Module):
    """Image → feature vector; strided convs, LeakyReLU, global average pool."""

    def __init__(self, shape: tuple[int, ...], ch: int) -> None:
        super().__init__()
        if len(shape) != 3:
            raise ValueError(f"conv critic expects (channels, height, width), got {shape}")
        self.net = nn.Sequential(
            nn.Conv2d(shape[0], ch, 3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ch, ch * 2, 3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def build_models(
    data_shape: tuple[int, ...],
    *,
    kind: ModelKind = "mlp",
    num_labels: int = 0,
    latent_dim: int = 8,
    hidden: int = 128,
    depth: int = 3,
) -> tuple[Generator, Critic]:
    """Build a matching generator/critic pair.

    Parameters
    ----------
    data_shape : tuple of int
        Shape of one sample.
    kind : {"mlp", "conv"}
        Architecture of both nets.
    num_labels : int
        Number of conditioning labels (0: unconditional).
    latent_dim, hidden, depth : int
        Sizes, see :class:`Generator`.

    Returns
    -------
    tuple of Generator and Critic
    """
    if kind not in ("mlp", "conv"):
        raise ValueError(f"kind must be 'mlp' or 'conv', got {kind!r}")
    g = Generator(
        data_shape,
        latent_dim=latent_dim,
        num_labels=num_labels,
        kind=kind,
        hidden=hidden,
        depth=depth,
    )
    c = Critic(data_shape, num_labels=num_labels, kind=kind, hidden=hidden, depth=depth)
    return g, c
