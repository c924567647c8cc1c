"""A generator trained where it is not copied: one network, one optimiser, many critics.

The ``shared-generator`` federation keeps the generator and its Adam state in one place
(the server). Each round the clients update their own critics against samples of their
own sources and send the critics; :class:`ServerGenerator` then takes a few generator
steps on ``Σ_k w_k L_k``, where ``L_k`` is client k's group-reweighted generator loss
judged by its critic on samples of its own sources. No copy of the generator trains
anywhere else, so nothing drifts and nothing needs averaging: the client weights ``w_k``
say directly how much each client's critic moves the shared weights.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from fedgan.losses import BatchGroups, generator_row_terms
from fedgan.models import Critic, Generator
from fedgan.training._config import TrainConfig

__all__ = ["CriticFeedback", "ServerGenerator"]

Combine = Callable[[list[Tensor], np.ndarray], Tensor]


@dataclass(frozen=True)
class CriticFeedback:
    """One client's critic and what the generator is judged on by it.

    Attributes
    ----------
    critic : Critic
        The client's critic after this round's updates (conditioned on the group).
    sources : Tensor
        ``[S_k]`` global generator sources of the client's groups that hold rows.
    groups : Tensor
        ``[S_k]`` the group of each of those sources.
    group_weights : Tensor
        ``[G]`` the client's loss weights ``ω_kg`` (its group reweighting).
    """

    critic: Critic
    sources: Tensor
    groups: Tensor
    group_weights: Tensor


class ServerGenerator:
    """The shared generator's optimiser and its steps against the clients' critics.

    Parameters
    ----------
    generator : Generator
        Trained in place.
    config : TrainConfig
        ``lr_g``, ``betas``, ``batch_size`` (samples per source and step), ``lr_final``.
    total_steps : int
        Generator steps of the whole run (the learning-rate schedule's length).
    """

    def __init__(self, generator: Generator, config: TrainConfig, *, total_steps: int) -> None:
        self.generator, self.config, self.total_steps = generator, config, total_steps
        self.optimizer = torch.optim.Adam(
            generator.parameters(), lr=config.lr_g, betas=config.betas
        )
        self.steps = 0

    def train(
        self,
        feedback: Sequence[CriticFeedback],
        weights: np.ndarray,
        *,
        steps: int,
        seed: int,
        combine: Combine | None = None,
    ) -> float:
        """Take ``steps`` generator steps on the weighted clients' losses.

        Parameters
        ----------
        feedback : sequence of CriticFeedback
            One entry per accepted client, in partition order.
        weights : np.ndarray
            ``[K]`` client weights ``w_k`` (normalised here).
        steps : int
            Generator steps.
        seed : int
            Seeds the noise: the same seed gives the same generator.
        combine : callable, optional
            A robust rule over the clients' gradients (``(grads, weights) → grad``);
            ``None`` takes the gradient of the weighted sum (one backward pass).

        Returns
        -------
        float
            The mean weighted generator loss over the steps.
        """
        if len(feedback) != len(weights) or not feedback:
            raise ValueError(f"need one weight per critic, got {len(weights)} for {len(feedback)}")
        if any(fb.sources.numel() == 0 for fb in feedback):
            raise ValueError("every CriticFeedback needs at least one source")
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        w = np.asarray(weights, dtype=np.float64)
        w = w / w.sum()
        device = self.generator.data_shift.device
        # One noise stream per client, keyed by its first source: a client's samples do
        # not depend on which other clients replied this round.
        rngs = self._noise(feedback, seed)
        for fb in feedback:
            fb.critic.to(device).eval().requires_grad_(False)
        params: list[Tensor] = [p for p in self.generator.parameters() if p.requires_grad]
        self.generator.train()
        total = 0.0
        for _ in range(steps):
            factor = self.config.lr_factor(self.steps, self.total_steps)
            for group in self.optimizer.param_groups:
                group["lr"] = self.config.lr_g * factor
            losses = [self._client_loss(fb, rng) for fb, rng in zip(feedback, rngs)]
            self.optimizer.zero_grad(set_to_none=True)
            if combine is None:
                loss = sum((float(wk) * lk for wk, lk in zip(w, losses)), torch.zeros(()))
                loss.backward()
            else:
                loss = self._robust_backward(losses, w, params, combine)
            self.optimizer.step()
            self.steps += 1
            total += float(loss.detach())
        return total / steps

    def group_pull(
        self, feedback: Sequence[CriticFeedback], weights: np.ndarray, *, seed: int
    ) -> np.ndarray:
        """Each group's share of the shared weights' gradient, as the next step would see it.

        The weighted loss ``Σ_k w_k L_k`` is a sum over generated rows, so it splits exactly
        into one term per group, ``L = Σ_g L^g``; group g's share is ``⟨∇L^g, ∇L⟩ / ‖∇L‖²``
        over the parameters every source shares (the source embedding left out). The shares
        sum to 1; a negative one pulls against the update. Same noise as :meth:`train`'s
        first step with this ``seed``; nothing is stepped, no random state is drawn from.

        Returns
        -------
        np.ndarray
            ``[G]`` shares (NaN for every group when the gradient is zero).
        """
        w = np.asarray(weights, dtype=np.float64)
        w = w / w.sum()
        own = {id(p) for n, p in self.generator.named_parameters() if n.startswith("source_embed")}
        shared = [p for p in self.generator.parameters() if p.requires_grad and id(p) not in own]
        num_groups, device = len(feedback[0].group_weights), self.generator.data_shift.device
        total = torch.zeros(num_groups, device=device)
        self.generator.train()
        for fb, wk, rng in zip(feedback, w, self._noise(feedback, seed)):
            fb.critic.to(device).eval().requires_grad_(False)
            per_row, groups = self._client_terms(fb, rng)
            total = total + float(wk) * torch.zeros_like(total).index_add(0, groups, per_row)
        grads = []
        for g in range(num_groups):
            parts = torch.autograd.grad(total[g], shared, retain_graph=True, allow_unused=True)
            flat = [torch.zeros_like(p) if d is None else d for p, d in zip(shared, parts)]
            grads.append(torch.cat([d.reshape(-1) for d in flat]).double().cpu())
        whole = torch.stack(grads).sum(dim=0)
        norm2 = float(whole @ whole)
        if norm2 == 0.0:
            return np.full(num_groups, np.nan)
        return np.array([float(gr @ whole) / norm2 for gr in grads])

    def _noise(self, feedback: Sequence[CriticFeedback], seed: int) -> list[torch.Generator]:
        """One noise stream per client, keyed by its first source (see :meth:`train`)."""
        device = self.generator.data_shift.device
        return [
            torch.Generator(device=device).manual_seed(
                int(np.random.SeedSequence([int(seed), int(fb.sources[0])]).generate_state(1)[0])
            )
            for fb in feedback
        ]

    def _client_terms(self, fb: CriticFeedback, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        """Each generated row's term of the client's loss, and the row's group."""
        b, device = self.config.batch_size, self.generator.data_shift.device
        sources = fb.sources.to(device).repeat_interleave(b)
        groups = fb.groups.to(device).repeat_interleave(b)
        z = torch.randn(len(sources), self.generator.noise_dim, device=device, generator=rng)
        fake = self.generator(z, None, sources)
        rows = BatchGroups(
            groups=groups,
            labels=groups,
            num_groups=len(fb.group_weights),
            weights=fb.group_weights.to(device),
            paired=True,
        )
        return generator_row_terms(fb.critic, fake, rows), groups

    def _client_loss(self, fb: CriticFeedback, rng: torch.Generator) -> Tensor:
        per_row, _ = self._client_terms(fb, rng)
        return per_row.sum()

    @staticmethod
    def _robust_backward(
        losses: list[Tensor], w: np.ndarray, params: list[Tensor], combine: Combine
    ) -> Tensor:
        """Per-client gradients combined by ``combine``, written into ``.grad``."""
        grads = [torch.autograd.grad(lk, params, retain_graph=True) for lk in losses]
        for i, p in enumerate(params):
            p.grad = combine([g[i] for g in grads], w).to(p.dtype)
        return sum((float(wk) * lk.detach() for wk, lk in zip(w, losses)), torch.zeros(()))

    def state(self) -> dict[str, Tensor]:
        """The optimiser's moments and the step count, as tensors (for checkpoints)."""
        out = {"steps": torch.tensor(self.steps)}
        for index, slots in self.optimizer.state_dict()["state"].items():
            for name, value in slots.items():
                out[f"{index}/{name}"] = torch.as_tensor(value).detach().cpu().clone()
        return out

    def restore(self, state: Mapping[str, Tensor]) -> None:
        """Put back what :meth:`state` saved."""
        self.steps = int(state["steps"])
        device = self.generator.data_shift.device
        slots: dict[int, dict[str, Tensor]] = {}
        for key, value in state.items():
            if key != "steps":
                index, name = key.split("/", 1)
                slots.setdefault(int(index), {})[name] = (
                    value if name == "step" else value.to(device)
                )
        if slots:
            groups = self.optimizer.state_dict()["param_groups"]
            self.optimizer.load_state_dict({"state": slots, "param_groups": groups})
