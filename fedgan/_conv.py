"""The convolutional bodies of the image generator and critic (8×8 and 28×28, one channel)."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["ConvDown", "ConvUp"]


class ConvUp(nn.Module):
    """Noise → image for square single-channel images of side 8 or 28."""

    def __init__(self, in_dim: int, shape: tuple[int, ...], ch: int) -> None:
        super().__init__()
        c, side = shape[0], shape[-1]
        if side not in (8, 28) or shape[-2] != side:
            raise ValueError(f"conv models support 8×8 and 28×28 images, got {shape}")
        self.start = 4 if side == 8 else 7
        self.ch = ch * 2
        self.fc = nn.Sequential(nn.Linear(in_dim, self.ch * self.start**2), nn.ReLU())
        ups: list[nn.Module] = []
        cur = self.ch
        for _ in range(1 if side == 8 else 2):
            ups += [nn.Upsample(scale_factor=2), nn.Conv2d(cur, ch, 3, padding=1), nn.ReLU()]
            cur = ch
        ups.append(nn.Conv2d(cur, c, 3, padding=1))
        self.up = nn.Sequential(*ups)

    def forward(self, z: Tensor) -> Tensor:
        return self.up(self.fc(z).view(-1, self.ch, self.start, self.start))


class ConvDown(nn.Module):
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
