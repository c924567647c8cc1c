"""Generators and critics: MLPs (2-D, tabular) and small conv nets (8×8, 28×28).

The generator's hidden layers use ReLU: on the 8-mode ring a ReLU generator reached
90% high-quality samples in about 4,000 steps where a LeakyReLU one was at 45%
(docs/results-designs.md). Critics use LeakyReLU(0.2) and no BatchNorm (the gradient penalty
and differential privacy are per sample).

Conditioning: ``num_labels > 0`` adds a label embedding to the generator's input and a
projection term ``⟨embed(y), φ(x)⟩`` (Miyato & Koyama 2018) to the critic's score.
``num_sources > 0`` gives the generator one *source* per (client, group) cell of a
federation: a source embedding, and optionally its own copy of the last
``source_layers`` layers (:class:`SourceLinear`). The client-conditional federation
trains each source only at its owner (:mod:`fedgan.federation`).

The generator works in *model space*; :meth:`Generator.sample` maps to data space with
the fixed buffers ``data_shift`` and ``data_scale`` (the data's standardisation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from fedgan._conv import ConvUp as _ConvUp
from fedgan._critic import Critic, check_sizes
from fedgan._data_form import check_spans, data_form
from fedgan._source_linear import SourceLinear
from fedgan.choices import (
    MODEL_KINDS,
    SOURCE_CONDITIONINGS,
    GeneratorActivation,
    ModelKind,
    SourceConditioning,
    allowed,
)

__all__ = [
    "Critic",
    "Generator",
    "GeneratorActivation",
    "ModelKind",
    "SourceConditioning",
    "SourceLinear",
    "build_models",
]


_ACTIVATIONS = {"relu": torch.relu, "leaky-relu": lambda h: nn.functional.leaky_relu(h, 0.2)}


class Generator(nn.Module):
    """Map noise (and an optional label and source) to a sample.

    Parameters
    ----------
    data_shape : tuple of int
        Shape of one sample: ``(d,)`` for vectors, ``(1, 8, 8)`` or ``(1, 28, 28)`` for images.
    latent_dim : int
        Noise dimension.
    num_labels : int
        0 for an unconditional generator.
    num_sources : int
        Sources of a client-conditional federation (0: none).
    source_layers : int
        How many of the last MLP layers each source owns a copy of (0 … ``depth + 1``).
    kind : {"mlp", "conv"}
        Architecture.
    hidden : int
        Width of the MLP layers or base channels of the conv net.
    depth : int
        Number of hidden MLP layers (MLP only).
    activation : {"relu", "leaky-relu"}
        Hidden activation of the MLP (LeakyReLU with slope 0.2).
    source_conditioning : {"concat", "film"}
        How the source embedding conditions the MLP: concatenated to the noise only, or
        also as per-layer gains and biases from a shared projection of it (FiLM).
    """

    def __init__(
        self,
        data_shape: tuple[int, ...],
        *,
        latent_dim: int = 8,
        num_labels: int = 0,
        num_sources: int = 0,
        source_layers: int = 0,
        kind: ModelKind = "mlp",
        hidden: int = 128,
        depth: int = 3,
        activation: GeneratorActivation = "relu",
        source_conditioning: SourceConditioning = "concat",
    ) -> None:
        """Check the sizes, then build the body (MLP or conv) and the per-source parts."""
        super().__init__()
        check_sizes(
            latent_dim=latent_dim,
            num_labels=num_labels,
            num_sources=num_sources,
            source_layers=source_layers,
            hidden=hidden,
            depth=depth,
        )
        if source_layers and (kind != "mlp" or not num_sources or source_layers > depth + 1):
            raise ValueError(
                f"source_layers must be 0, or at most depth + 1 = {depth + 1} with an MLP "
                f"and num_sources > 0; got {source_layers} ({kind}, {num_sources} sources)"
            )
        if activation not in _ACTIVATIONS:
            raise ValueError(allowed("activation", activation, tuple(_ACTIVATIONS)))
        if source_conditioning not in SOURCE_CONDITIONINGS:
            raise ValueError(
                allowed("source_conditioning", source_conditioning, SOURCE_CONDITIONINGS)
            )
        if source_conditioning == "film" and kind != "mlp":
            raise ValueError(
                "source_conditioning 'film' needs kind 'mlp' (per-layer gains of MLP layers)"
            )
        self.data_shape = tuple(data_shape)
        self.latent_dim = latent_dim
        self.num_labels = num_labels
        self.num_sources = num_sources
        self.activation = _ACTIVATIONS[activation]
        self.embed = nn.Embedding(num_labels, latent_dim) if num_labels else None
        self.source_embed = nn.Embedding(num_sources, latent_dim) if num_sources else None
        in_dim = latent_dim * (1 + bool(num_labels) + bool(num_sources))
        out_dim = math.prod(self.data_shape)
        self.data_shift: Tensor
        self.data_scale: Tensor
        self.register_buffer("data_shift", torch.zeros(out_dim))
        self.register_buffer("data_scale", torch.ones(()))
        self.bounds: tuple[float, float] | None = None  # data-space range (set_bounds)
        self.blocks: tuple[tuple[int, int], ...] = ()  # one-hot spans (set_categorical_blocks)
        self.gumbel_tau = 0.0  # > 0: the spans are Gumbel-softmax draws at this temperature
        self.layers = nn.ModuleList()
        self.conv: nn.Module | None = None
        if kind == "mlp":
            dims = [in_dim] + [hidden] * depth + [out_dim]
            first_owned = depth + 1 - source_layers
            for i in range(depth + 1):
                self.layers.append(
                    SourceLinear(num_sources, dims[i], dims[i + 1])
                    if i >= first_owned
                    else nn.Linear(dims[i], dims[i + 1])
                )
        else:
            self.conv = _ConvUp(in_dim, self.data_shape, hidden)
        # FiLM: each hidden layer's gains and biases from a shared projection of the
        # source's embedding; zero at the start, so training begins from concatenation.
        self.film: nn.ModuleList | None = None
        if source_conditioning == "film" and num_sources:
            projections = [nn.Linear(latent_dim, 2 * hidden) for _ in range(depth)]
            for proj in projections:
                nn.init.zeros_(proj.weight)
                nn.init.zeros_(proj.bias)
            self.film = nn.ModuleList(projections)

    def forward(
        self, z: Tensor, labels: Tensor | None = None, sources: Tensor | None = None
    ) -> Tensor:
        """Generate ``[B, *data_shape]`` samples in model space from noise ``[B, noise_dim]``.

        ``noise_dim`` is ``latent_dim`` unless the categorical spans are Gumbel-softmax
        draws (:meth:`set_categorical_blocks`): their noise follows the latent noise.
        """
        if z.shape[1] != self.noise_dim:
            raise ValueError(f"z must have noise_dim = {self.noise_dim} columns, got {z.shape[1]}")
        z, gumbel = z[:, : self.latent_dim], z[:, self.latent_dim :]
        parts = [z]
        for table, ids, what in (
            (self.embed, labels, "labels"),
            (self.source_embed, sources, "sources"),
        ):
            if table is not None:
                if ids is None:
                    raise ValueError(f"{what} are required: this generator is conditional on them")
                parts.append(table(ids))
        h = torch.cat(parts, dim=1) if len(parts) > 1 else z
        if self.conv is not None:
            return self._in_data_form(self.conv(h), gumbel).view(z.shape[0], *self.data_shape)
        code = parts[-1] if self.film is not None else None
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            h = layer(h, sources) if isinstance(layer, SourceLinear) else layer(h)
            if i < last:
                if self.film is not None and code is not None:
                    gain, bias = self.film[i](code).chunk(2, dim=1)
                    h = h * (1 + gain) + bias
                h = self.activation(h)
        return self._in_data_form(h, gumbel).view(z.shape[0], *self.data_shape)

    @property
    def noise_dim(self) -> int:
        """Columns of the noise ``forward`` takes.

        ``latent_dim``, plus one per categorical feature when those are Gumbel-softmax draws.
        """
        extra = sum(b - a for a, b in self.blocks) if self.gumbel_tau else 0
        return self.latent_dim + extra

    def _in_data_form(self, h: Tensor, gumbel: Tensor) -> Tensor:
        """The output in the data's form (:func:`data_form`, in data space), if it has one."""
        if self.bounds is None and not self.blocks:
            return h
        data = h.reshape(h.shape[0], -1) * self.data_scale + self.data_shift
        data = data_form(
            data,
            bounds=self.bounds,
            spans=self.blocks,
            gumbel=gumbel if self.gumbel_tau else None,
            tau=self.gumbel_tau or 1.0,
        )
        return ((data - self.data_shift) / self.data_scale).view_as(h)

    def set_standardisation(self, shift: Tensor, scale: float) -> None:
        """Data space = model space × ``scale`` + ``shift`` (applied by :meth:`sample`)."""
        self.data_shift.copy_(torch.as_tensor(shift, dtype=torch.float32).flatten())
        self.data_scale.fill_(float(scale))

    def set_bounds(self, low: float, high: float) -> None:
        """Keep every output value in ``[low, high]`` in data space (images: pixels in [−1, 1]).

        Not part of the state dict: the scenario sets it when the model is built.
        """
        if not low < high:
            raise ValueError(f"bounds must have low < high, got ({low}, {high})")
        self.bounds = (float(low), float(high))

    def set_categorical_blocks(
        self, blocks: Sequence[tuple[int, int]], *, gumbel_tau: float = 0.0
    ) -> None:
        """Make each ``(start, stop)`` span of output features a softmax (one-hot columns).

        Not part of the state dict: the scenario sets it when the model is built.

        Parameters
        ----------
        blocks : sequence of (int, int)
            The spans, ordered and non-overlapping.
        gumbel_tau : float
            0 (default): a plain softmax of the span's outputs. > 0: a Gumbel-softmax draw
            at this temperature (CTGAN uses 0.2), which adds one noise column per spanned
            feature to :attr:`noise_dim`.

        Raises
        ------
        ValueError
            For spans that overlap, are out of order or empty, or leave the output, or a
            negative or non-finite ``gumbel_tau``.
        """
        if not (isinstance(gumbel_tau, int | float) and 0 <= gumbel_tau < math.inf):
            raise ValueError(f"gumbel_tau must be a finite number >= 0, got {gumbel_tau!r}")
        self.blocks = check_spans(blocks, math.prod(self.data_shape))
        self.gumbel_tau = float(gumbel_tau)

    def sample(
        self,
        n: int,
        *,
        labels: Tensor | None = None,
        sources: Tensor | None = None,
        rng: torch.Generator | None = None,
    ) -> Tensor:
        """Draw ``n`` samples in data space (no grad); noise on the model's device."""
        device = self.data_shift.device
        z = torch.randn(n, self.noise_dim, device=device, generator=rng)
        with torch.no_grad():
            x = self(
                z,
                None if labels is None else labels.to(device),
                None if sources is None else sources.to(device),
            )
            flat = x.reshape(n, -1) * self.data_scale + self.data_shift
        return flat.view(n, *self.data_shape)

    def source_parameter_names(self) -> list[str]:
        """Names of the parameters that hold one slice per source (first axis = source)."""
        return [
            name
            for name, _ in self.named_parameters()
            if name.startswith("source_embed.")
            or isinstance(self.get_submodule(name.rsplit(".", 1)[0]), SourceLinear)
        ]


def build_models(
    data_shape: tuple[int, ...],
    *,
    kind: ModelKind = "mlp",
    num_labels: int = 0,
    critic_labels: int | None = None,
    num_sources: int = 0,
    source_layers: int = 0,
    latent_dim: int = 8,
    hidden: int = 128,
    critic_hidden: int | None = None,
    depth: int = 3,
    generator_activation: GeneratorActivation = "relu",
    source_conditioning: SourceConditioning = "concat",
) -> tuple[Generator, Critic]:
    """Build a matching generator/critic pair.

    Parameters
    ----------
    data_shape : tuple of int
        Shape of one sample.
    kind : {"mlp", "conv"}
        Architecture of both nets.
    num_labels : int
        Conditioning labels of the generator (0: unconditional).
    critic_labels : int, optional
        Labels the critic conditions on (default ``num_labels``).
    num_sources, source_layers : int
        Sources of a client-conditional generator, see :class:`Generator`.
    latent_dim, hidden, depth : int
        Sizes, see :class:`Generator`.
    critic_hidden : int, optional
        The critic's width (default ``hidden``): every client runs its critic's steps, so
        a narrower critic is the cheaper half of a round.
    generator_activation : {"relu", "leaky-relu"}
        The generator's hidden activation (the critic's is LeakyReLU(0.2)).
    source_conditioning : {"concat", "film"}
        How sources condition the generator, see :class:`Generator`.

    Returns
    -------
    tuple of Generator and Critic
    """
    if kind not in MODEL_KINDS:
        raise ValueError(allowed("kind", kind, MODEL_KINDS))
    g = Generator(
        data_shape,
        latent_dim=latent_dim,
        num_labels=num_labels,
        num_sources=num_sources,
        source_layers=source_layers,
        kind=kind,
        hidden=hidden,
        depth=depth,
        activation=generator_activation,
        source_conditioning=source_conditioning,
    )
    c = Critic(
        data_shape,
        num_labels=num_labels if critic_labels is None else critic_labels,
        kind=kind,
        hidden=hidden if critic_hidden is None else critic_hidden,
        depth=depth,
    )
    return g, c
