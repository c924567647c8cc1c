"""Input validation shared by penalties, losses and training.

Every check raises before any computation starts, with a message that names
the offending argument and says what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn


class FieldError(ValueError):
    """A configuration field has a bad value; ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field} {message}")
        self.field = field
        self.reason = message


BATCHNORM_ERROR = (
    "critic contains BatchNorm layer(s) {names}: batch statistics make each sample's "
    "gradient depend on the other samples, which breaks the per-sample gradient "
    "penalty (and differential privacy). Use LayerNorm, GroupNorm, InstanceNorm "
    "with affine parameters, or no normalisation."
)


def check_floating(name: str, x: object) -> Tensor:
    """Return ``x`` if it is a non-empty floating tensor with a batch axis."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.dim() == 0:
        raise ValueError(f"{name} must have a batch dimension, got a scalar")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch; at least one row is required")
    return x


def check_not_string(name: str, value: object) -> None:
    """Refuse text where numbers are expected (``"10"`` would iterate as ``"1", "0"``)."""
    if isinstance(value, str | bytes):
        raise TypeError(f"{name} must be a number or a sequence of numbers, got the text {value!r}")


def check_finite_rows(name: str, x: object) -> Tensor:
    """:func:`check_floating`, and every value finite (NaN rows give NaN gradients)."""
    t = check_floating(name, x)
    if not bool(torch.isfinite(t).all()):
        bad = (~torch.isfinite(t.reshape(t.shape[0], -1))).any(dim=1).nonzero().flatten()
        raise ValueError(f"{name} has NaN or inf in row(s) {bad[:5].tolist()}")
    return t


def check_lambda(name: str, value: object) -> float:
    """A finite weight >= 0 given as a number (not text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, Tensor) and value.numel() == 1:
            value = float(value)
        else:
            raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def check_pair(real: object, fake: object) -> tuple[Tensor, Tensor]:
    """Validate a real/fake pair: floating, finite, non-empty, same shape and device."""
    r = check_finite_rows("real", real)
    f = check_finite_rows("fake", fake)
    if r.shape != f.shape:
        raise ValueError(
            f"real and fake must have the same shape (rows are paired by index), "
            f"got real {tuple(r.shape)} and fake {tuple(f.shape)}"
        )
    if r.device != f.device:
        raise ValueError(f"real is on {r.device} but fake is on {f.device}")
    return r, f


def check_index(name: str, x: object, batch: int, *, upper: int | None = None) -> Tensor:
    """Validate a 1-D integer tensor of ``batch`` ids in ``[0, upper)``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of integers, got {type(x).__name__}")
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor, got dtype {x.dtype}")
    if x.dim() != 1 or x.shape[0] != batch:
        raise ValueError(
            f"{name} must have shape ({batch},) to match the batch, got {tuple(x.shape)}"
        )
    if batch and int(x.min()) < 0:
        raise ValueError(f"{name} must be non-negative, got minimum {int(x.min())}")
    if upper is not None and batch and int(x.max()) >= upper:
        raise ValueError(
            f"{name} must lie in [0, {upper}) (num_groups={upper}), got maximum {int(x.max())}"
        )
    return x.long()


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as float if it is finite and > 0."""
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def check_non_negative(name: str, value: float) -> float:
    """Return ``value`` as float if it is finite and >= 0."""
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def group_lambdas(
    lambda_gp: float | Sequence[float] | Tensor, num_groups: int, *, device: torch.device
) -> Tensor:
    """Turn one λ or one λ per group into a ``[num_groups]`` tensor, validated."""
    check_not_string("lambda_gp", lambda_gp)
    if isinstance(lambda_gp, Tensor):
        lam = lambda_gp.detach().to(device=device, dtype=torch.float32).flatten()
        if lambda_gp.dim() == 0:
            lam = lam.expand(num_groups)
    elif isinstance(lambda_gp, int | float):
        lam = torch.full((num_groups,), float(lambda_gp), device=device)
    else:
        for v in lambda_gp:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise TypeError(f"lambda_gp values must be numbers, got {v!r}")
        lam = torch.as_tensor([float(v) for v in lambda_gp], device=device)
    if lam.numel() != num_groups:
        raise ValueError(
            f"lambda_gp must be one number or one per group ({num_groups} values), "
            f"got {lam.numel()} values"
        )
    if not bool(torch.isfinite(lam).all()) or bool((lam < 0).any()):
        raise ValueError(f"lambda_gp values must be finite and >= 0, got {lam.tolist()}")
    return lam


def infer_num_groups(
    groups: Tensor, num_groups: int | None, lambda_gp: float | Sequence[float] | Tensor
) -> int:
    """Number of groups: explicit, else the λ vector's length, else ``max(groups) + 1``."""
    if num_groups is not None:
        if isinstance(num_groups, bool) or not isinstance(num_groups, int) or num_groups < 1:
            raise ValueError(f"num_groups must be a positive integer, got {num_groups!r}")
        return num_groups
    if isinstance(lambda_gp, Tensor) and lambda_gp.dim() > 0:
        return int(lambda_gp.numel())
    if isinstance(lambda_gp, Sequence) and not isinstance(lambda_gp, str):
        return len(lambda_gp)
    return int(groups.max()) + 1 if groups.numel() else 1


def reject_batchnorm(module: object) -> None:
    """Raise if ``module`` is an ``nn.Module`` holding BatchNorm layers."""
    if not isinstance(module, nn.Module):
        return
    names = [
        n or "<root>"
        for n, m in module.named_modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    if names:
        raise ValueError(BATCHNORM_ERROR.format(names=", ".join(names)))
