"""A generator's output put in the data's own form: bounded values, categorical columns."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = ["check_spans", "data_form"]


def data_form(
    data: Tensor, *, bounds: tuple[float, float] | None, spans: Sequence[tuple[int, int]]
) -> Tensor:
    """``[B, D]`` data-space values squashed into ``bounds`` and softmaxed on each span.

    A tanh keeps every value in ``bounds`` (images); each ``(start, stop)`` span becomes a
    softmax over its features, so a generated categorical column is a distribution over
    its values, as a real record's one-hot column is.
    """
    if bounds is not None:
        low, high = bounds
        data = low + (high - low) * (torch.tanh(data) + 1) / 2
    if not spans:
        return data
    parts, at = [], 0
    for start, stop in spans:
        parts += [data[:, at:start], torch.softmax(data[:, start:stop], dim=1)]
        at = stop
    return torch.cat([*parts, data[:, at:]], dim=1)


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
