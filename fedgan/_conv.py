"""The convolutional bodies of the image generator and critic (8×8 and 28×28, one channel).

Sized for small images: the generator starts at a quarter of the side with ``ch`` channels
and halves the channels at every doubling (transposed convolutions), the critic mirrors it.
At ``ch = 128`` on 8×8 this is 5.6× cheaper per generator step than upsampling ``2·ch``
channels to full size (``python -m simulations.benchmarks.conv_cost``).
"""

from __future__ import annotations

import itertools

from torch import Tensor, nn

__all__ = ["ConvDown", "ConvUp"]


def _doublings(shape: tuple[int, ...]) -> int:
    """How many times the side doubles from the generator's start (8: once, 28: twice)."""
    side = shape[-1]
    if len(shape) != 3 or side not in (8, 28) or shape[-2] != side:
        raise ValueError(
            f"conv models support 8×8 and 28×28 images (channels, side, side), got {shape}"
        )
    return 1 if side == 8 else 2


class ConvUp(nn.Module):
    """Noise → image: ``ch`` channels at a quarter side, halved at every doubling."""

    def __init__(self, in_dim: int, shape: tuple[int, ...], ch: int) -> None:
        super().__init__()
        n = _doublings(shape)
        self.start = shape[-1] // 2**n
        self.ch = ch
        self.fc = nn.Sequential(nn.Linear(in_dim, ch * self.start**2), nn.ReLU())
        ups: list[nn.Module] = []
        cur = ch
        for _ in range(n):
            nxt = max(1, cur // 2)
            ups += [nn.ConvTranspose2d(cur, nxt, 4, stride=2, padding=1), nn.ReLU()]
            cur = nxt
        ups.append(nn.Conv2d(cur, shape[0], 3, padding=1))
        self.up = nn.Sequential(*ups)

    def forward(self, z: Tensor) -> Tensor:
        return self.up(self.fc(z).view(-1, self.ch, self.start, self.start))


class ConvDown(nn.Module):
    """Image → ``ch`` features: strided convs doubling the channels up to ``ch``, average pool."""

    def __init__(self, shape: tuple[int, ...], ch: int) -> None:
        super().__init__()
        if len(shape) != 3:
            raise ValueError(f"conv critic expects (channels, height, width), got {shape}")
        n = _doublings(shape) + 1  # one more stride: the features pool a 2×2 (8×8) or 4×4 map
        chans = [shape[0]] + [max(1, ch // 2 ** (n - 1 - i)) for i in range(n)]
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(chans):
            layers += [nn.Conv2d(a, b, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.out_features = chans[-1]

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
