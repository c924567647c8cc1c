"""A linear layer with one weight matrix per generator source (``source-layers``)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["SourceLinear"]


class SourceLinear(nn.Module):
    """A linear layer with one weight matrix per source, all starting equal.

    Parameters
    ----------
    num_sources : int
        Number of sources S.
    in_features, out_features : int
        Sizes, as in :class:`torch.nn.Linear`.
    """

    def __init__(self, num_sources: int, in_features: int, out_features: int) -> None:
        super().__init__()
        ref = nn.Linear(in_features, out_features)
        self.weight = nn.Parameter(ref.weight.detach().expand(num_sources, -1, -1).clone())
        self.bias = nn.Parameter(ref.bias.detach().expand(num_sources, -1).clone())

    def forward(self, h: Tensor, sources: Tensor) -> Tensor:
        """``h[i] @ W[sources[i]]ᵀ + b[sources[i]]``, one matrix product per source present."""
        if sources.numel() and bool((sources[1:] >= sources[:-1]).all()):
            # Training batches come grouped by source (one client's groups in order): no
            # sorting or scattering back needed, and one source is a plain linear layer.
            uniq, counts = torch.unique_consecutive(sources, return_counts=True)
            if len(uniq) == 1:
                s = int(uniq[0])
                return nn.functional.linear(h, self.weight[s], self.bias[s])
            chunks = h.split(counts.tolist())
            return torch.cat(
                [
                    nn.functional.linear(c, self.weight[s], self.bias[s])
                    for s, c in zip(uniq.tolist(), chunks)
                ]
            )
        uniq, counts = torch.unique(sources, sorted=True, return_counts=True)
        order = torch.argsort(sources, stable=True)
        chunks = h[order].split(counts.tolist())
        outs = [
            nn.functional.linear(c, self.weight[s], self.bias[s])
            for s, c in zip(uniq.tolist(), chunks)
        ]
        out = h.new_empty(h.shape[0], self.weight.shape[1])
        out[order] = torch.cat(outs)
        return out
