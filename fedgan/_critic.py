"""The Wasserstein critic (re-exported by :mod:`fedgan.models`)."""

from __future__ import annotations

import math

from torch import Tensor, nn

from fedgan._conv import ConvDown as _ConvDown
from fedgan.choices import ModelKind

__all__ = ["Critic", "check_sizes"]

_POSITIVE = frozenset({"latent_dim", "hidden", "depth"})  # a zero here builds an empty layer


def check_sizes(**sizes: int) -> None:
    """A ValueError naming the first size that is not an integer in its range."""
    for name, v in sizes.items():
        low = 1 if name in _POSITIVE else 0
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")


class Critic(nn.Module):
    """Wasserstein critic; one real score per row, LeakyReLU(0.2), no BatchNorm.

    Parameters are those of :class:`fedgan.models.Generator` minus ``latent_dim`` and the
    sources.
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
        check_sizes(num_labels=num_labels, hidden=hidden, depth=depth)
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
            conv = _ConvDown(self.data_shape, hidden)
            self.features = conv
            feat = conv.out_features
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
