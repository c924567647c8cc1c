"""Federation designs: what a client trains, what it sends, how the server merges it.

With a private critic per client and the generator averaged, the generator descends
``Σ_k w_k W1(p_k, q)``. By convexity of W1 in its first argument this is at least
``W1(Σ_k w_k p_k, q)``, and it is not minimised by the mixture: on non-IID clients each
critic pulls every sample toward its own client's modes and the averaged pulls
cancel. The designs here differ in how they avoid that:

* :class:`PrivateCritics` — that baseline, kept for comparison.
* :class:`SharedCritic` — clients start each round from the global critic and
  generator and send both back; the server averages both with the same weights. With
  one local step this is WGAN-GP on ``Σ_k w_k p_k``; local steps let each copy drift
  toward its own client's data.
* :class:`ClientConditional` — critics stay private; the generator takes a *source*,
  one per (client, group) cell. A client trains only its own sources against its own
  critic, which judges only them, so each client's term has its own minimiser and the
  terms no longer fight. The server averages the shared layers and takes each source's
  own slices from its owner. Sampling draws the source with probability
  ``s_kg = π_g n_kg / N_g``, so the sampled mixture has group shares exactly ``π``
  (the real pooled shares by default).
* :class:`SharedGenerator` — the same objective with **one** generator: a source owns
  only its embedding row (``latent-dim`` numbers), every other weight is shared, and
  the generator is trained where it is not copied. Clients update their private
  critics against samples of their own sources and send the critics; the server takes
  the generator's steps on ``Σ_k w_k L_k`` with one Adam state
  (:class:`fedgan.training.ServerGenerator`). Nothing drifts, the model does not grow
  with the clients beyond one row per source, and the client weights ``w_k`` decide
  how strongly each client's critic shapes the shared body.

The arrays that travel and how they merge follow :mod:`fedgan.protocol`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor

from fedgan.choices import FEDERATIONS, Federation, allowed
from fedgan.data import Scenario
from fedgan.models import Critic, Generator
from fedgan.protocol import CRITIC, GENERATOR, OWNED, pack, unpack

__all__ = [
    "DESIGNS",
    "ClientConditional",
    "FederationDesign",
    "PrivateCritics",
    "SharedCritic",
    "SharedGenerator",
    "design_for",
]


class FederationDesign:
    """How a federation forms its objective (a registry entry of :data:`DESIGNS`).

    Attributes
    ----------
    name : str
        The run-config value of ``federation``.
    critic_travels : bool
        Whether the critic leaves the client (averaged by the server).
    per_source : bool
        Whether the generator has one source per (client, group) cell.
    owns_layers : bool
        Whether a source may own copies of generator layers (``source-layers``), not
        just its embedding row.
    server_trains : bool
        Whether the server trains the generator against the clients' critics (the
        clients then train critics only, and send them).
    """

    name: ClassVar[Federation]
    critic_travels: ClassVar[bool] = False
    per_source: ClassVar[bool] = False
    owns_layers: ClassVar[bool] = False
    server_trains: ClassVar[bool] = False

    @property
    def critic_leaves_client(self) -> bool:
        """Whether a client's critic is sent off it (averaged, or stepped against)."""
        return self.critic_travels or self.server_trains

    def num_sources(self, num_groups: int, num_partitions: int) -> int:
        """Generator sources of a federation of ``num_partitions`` clients (0: none)."""
        return num_partitions * num_groups if self.per_source else 0

    def critic_label_count(self, scenario: Scenario) -> int:
        """Labels the critic conditions on."""
        return scenario.num_labels

    def sources(self, groups: Tensor) -> Tensor | None:
        """A client's source of each row, in its local view (sources 0 … G−1)."""
        return None

    def critic_labels(self, labels: Tensor | None, groups: Tensor) -> Tensor | None:
        """What the critic conditions on for each row."""
        return labels

    def upload(self, generator: Generator, critic: Critic) -> dict[str, np.ndarray]:
        """The arrays a client sends after training (see :mod:`fedgan.protocol`)."""
        own = set(generator.source_parameter_names())
        params = dict(generator.named_parameters())
        arrays = pack(GENERATOR, {k: v for k, v in params.items() if k not in own})
        arrays |= pack(OWNED, {k: v for k, v in params.items() if k in own})
        if self.critic_travels:
            arrays |= pack(CRITIC, dict(critic.named_parameters()))
        return arrays

    def download(self, generator: Generator, critic: Critic) -> dict[str, np.ndarray]:
        """The arrays the server sends: what every client starts the round from."""
        own = set(generator.source_parameter_names())
        arrays = pack(GENERATOR, {k: v for k, v in generator.named_parameters() if k not in own})
        if self.critic_travels:
            arrays |= pack(CRITIC, dict(critic.named_parameters()))
        return arrays

    def load_download(
        self,
        download: Mapping[str, np.ndarray],
        generator: Generator,
        critic: Critic,
        *,
        partition_id: int,
        num_groups: int,
    ) -> None:
        """Load what the server sent into a client's local models (its own view)."""
        params = self.generator_view(unpack(GENERATOR, download), partition_id, num_groups)
        generator.load_state_dict(params, strict=False)
        if self.critic_travels:
            critic.load_state_dict(unpack(CRITIC, download))

    def generator_view(
        self, params: dict[str, Tensor], partition_id: int, num_groups: int
    ) -> dict[str, Tensor]:
        """The generator weights a client loads from the download (all of them by default)."""
        return params

    def reply_shapes(
        self, generator: Generator, critic: Critic, num_groups: int
    ) -> dict[str, tuple[int, ...]]:
        """Key and shape of every array a client's reply must hold (server's models)."""
        shapes = {k: tuple(v.shape) for k, v in self.download(generator, critic).items()}
        params = dict(generator.named_parameters())
        return shapes | {
            OWNED + n: (num_groups, *params[n].shape[1:])
            for n in generator.source_parameter_names()
        }

    def sampling_probs(
        self,
        counts: dict[int, np.ndarray],
        trained: set[int],
        share: np.ndarray,
        num_partitions: int,
    ) -> np.ndarray | None:
        """Probability of each generator source when sampling (``None``: no sources).

        A per-source design samples source (k, g) with ``s_kg = π_g n_kg / N_g`` over the
        clients that trained (others get 0).
        """
        if not self.per_source:
            return None
        g = share.shape[0]
        probs = np.zeros((num_partitions, g))
        for pid in sorted(trained):
            probs[pid] = counts[pid]
        totals = probs.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            probs = np.where(totals > 0, probs / totals * share, 0.0)
        total = probs.sum()
        return probs.ravel() / total if total > 0 else None

    def learned_share(
        self, weights: np.ndarray, loss_weights: np.ndarray, share: np.ndarray
    ) -> np.ndarray:
        """Group shares of the mixture the design trains toward.

        ``weights`` are the round's client weights ``w_k``, ``loss_weights`` the clients'
        ``[K, G]`` group loss weights ``ω_kg``, ``share`` the asked-for ``π``. Averaging a
        critic (or a generator) with ``w_k`` targets ``Σ_k w_k ω_kg``.
        """
        lw = np.nan_to_num(loss_weights)
        return (weights[:, None] * lw).sum(axis=0) / max(float(weights.sum()), 1e-300)


class PrivateCritics(FederationDesign):
    """Private critic per client, generator averaged: descends ``Σ_k w_k W1(p_k, q)``."""

    name = "private-critics"


class SharedCritic(FederationDesign):
    """Critic and generator both averaged with the client weights: WGAN-GP on ``Σ_k w_k p_k``."""

    name = "shared-critic"
    critic_travels = True


class ClientConditional(FederationDesign):
    """Private critics; the generator has one source per (client, group), trained by its owner."""

    name: ClassVar[Federation] = "client-conditional"
    per_source = True
    owns_layers = True

    def critic_label_count(self, scenario: Scenario) -> int:
        """The critic judges each group's source against that group's rows."""
        return scenario.num_groups if scenario.num_groups > 1 else 0

    def sources(self, groups: Tensor) -> Tensor | None:
        """Local source of a row = its group."""
        return groups

    def critic_labels(self, labels: Tensor | None, groups: Tensor) -> Tensor | None:
        """The critic conditions on the group of the row (its source)."""
        return groups

    def learned_share(
        self, weights: np.ndarray, loss_weights: np.ndarray, share: np.ndarray
    ) -> np.ndarray:
        """Sampling sets the mixture: exactly the asked-for ``π``."""
        return share


class SharedGenerator(ClientConditional):
    """One generator trained on the server against every client's private critic.

    A source owns only its embedding row; the clients receive the whole generator (to
    sample their own sources), train their critics, and send the critics back.
    """

    name: ClassVar[Federation] = "shared-generator"
    owns_layers = False
    server_trains = True

    def download(self, generator: Generator, critic: Critic) -> dict[str, np.ndarray]:
        """The whole generator, the source embedding table included."""
        return pack(GENERATOR, dict(generator.named_parameters()))

    def generator_view(
        self, params: dict[str, Tensor], partition_id: int, num_groups: int
    ) -> dict[str, Tensor]:
        """The shared weights, and this client's rows of the embedding table."""
        key = "source_embed.weight"
        table = params.pop(key, None)
        rows = placement(partition_id, num_groups)
        if table is None or table.shape[0] < rows.stop:
            raise ValueError(
                f"the download holds no source embedding rows for partition {partition_id}"
            )
        return params | {key: table[rows]}

    def upload(self, generator: Generator, critic: Critic) -> dict[str, np.ndarray]:
        """The client's critic: the server steps the generator against it."""
        return pack(CRITIC, dict(critic.named_parameters()))

    def reply_shapes(
        self, generator: Generator, critic: Critic, num_groups: int
    ) -> dict[str, tuple[int, ...]]:
        """A critic of the federation's architecture."""
        return {CRITIC + k: tuple(v.shape) for k, v in critic.named_parameters()}


DESIGNS: dict[Federation, FederationDesign] = {
    d.name: d for d in (SharedGenerator(), ClientConditional(), SharedCritic(), PrivateCritics())
}


def design_for(name: str) -> FederationDesign:
    """The design registered as ``name``."""
    if name not in DESIGNS:
        raise ValueError(allowed("federation", name, FEDERATIONS))
    return DESIGNS[name]


def placement(partition_id: int, num_groups: int) -> slice:
    """Rows of the global source table that ``partition_id`` owns."""
    return slice(partition_id * num_groups, (partition_id + 1) * num_groups)


def place_owned(
    table: Mapping[str, torch.Tensor],
    owned: Mapping[str, torch.Tensor],
    partition_id: int,
    num_groups: int,
) -> None:
    """Write a client's own slices into the server's generator parameters, in place."""
    rows = placement(partition_id, num_groups)
    for name, value in owned.items():
        if name not in table or table[name][rows].shape != value.shape:
            raise ValueError(
                f"owned slice {name!r} of partition {partition_id} has shape {tuple(value.shape)}; "
                f"expected {tuple(table[name][rows].shape) if name in table else 'no such parameter'}"
            )
        table[name][rows] = value.to(device=table[name].device, dtype=table[name].dtype)
