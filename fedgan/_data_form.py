"""A generator's output put in the data's own form: bounded values, categorical columns."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = ["check_spans", "data_form"]


def data_form(
    data: Tensor,
    *,
    bounds: tuple[float, float] | None,
    spans: Sequence[tuple[int, int]],
    gumbel: Tensor | None = None,
    tau: float = 1.0,
) -> Tensor:
    """``[B, D]`` data-space values squashed into ``bounds`` and softmaxed on each span.

    A tanh keeps every value in ``bounds`` (images); each ``(start, stop)`` span becomes a
    softmax over its features, so a generated categorical column is a distribution over
    its values, as a real record's one-hot column is. With ``gumbel`` (standard normal
    noise, one column per spanned feature, in span order) each span is a Gumbel-softmax at
    temperature ``tau`` instead: a relaxed draw of one category, close to one-hot when
    ``tau`` is small, as CTGAN writes its discrete columns. The Gumbel noise is the normal
    noise pushed through its CDF and the Gumbel's inverse CDF, so it comes from the same
    seeded draw as the rest of the generator's input.
    """
    if bounds is not None:
        low, high = bounds
        data = low + (high - low) * (torch.tanh(data) + 1) / 2
    if not spans:
        return data
    noise = None if gumbel is None else _gumbel_from_normal(gumbel)
    parts, at, used = [], 0, 0
    for start, stop in spans:
        logits = data[:, start:stop]
        if noise is not None:
            logits = (logits + noise[:, used : used + stop - start]) / tau
            used += stop - start
        parts += [data[:, at:start], torch.softmax(logits, dim=1)]
        at = stop
    return torch.cat([*parts, data[:, at:]], dim=1)


def _gumbel_from_normal(z: Tensor) -> Tensor:
    """Standard Gumbel draws from standard normal ones (inverse-CDF transform)."""
    u = torch.special.ndtr(z).clamp(1e-6, 1 - 1e-6)  # away from 0 and 1: finite logs
    return -torch.log(-torch.log(u))


def check_spans(spans: Sequence[tuple[int, int]], width: int) -> tuple[tuple[int, int], ...]:
    """The spans as int pairs, or a ValueError saying what an allowed list looks like."""
    out, at = tuple((int(a), int(b)) for a, b in spans), 0
    for start, stop in out:
        if not (at <= start < stop <= width):
            raise ValueError(
                "categorical blocks must be ordered, non-overlapping, non-empty (start, stop) "
                f"spans of the {width} output features, got {list(out)}"
            )
        at = stop
    return out
