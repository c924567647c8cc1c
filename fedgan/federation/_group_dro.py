"""Server-side group DRO: the groups' shares of the weights, moved toward the worse-served.

``aggregation = "group-dro"`` weighs clients as ``group-balanced`` does, ``w_k = Σ_g π_g
n_kg / N_g``, but ``π`` is not fixed: every round the server reads each accepted client's
Wasserstein estimate per group (its critic's ``E_real D − E_fake D`` on that group's rows,
already in every reply) and takes an exponentiated-gradient step toward the groups whose
estimates are largest, the group-DRO update (Sagawa et al., 2020) on the generator's
per-group losses. A group the generator serves better than the others (a smaller
estimate) loses share, so the weights settle where the groups are served alike instead of
where the rows or the groups are counted alike.

What bounds a client's say (nothing one client reports sets the result unchecked): a
group's signal is the median over the round's clients that hold it; ``π`` never leaves the
box between the two fixed schemes, each group between its share of the rows (size
weighting) and its ``group-balanced`` share, so a client that lies can at worst push the
weights to one of those. Rounds without estimates (``dp = "critic"`` withholds them) leave
``π`` where it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fedgan.federation._weights import group_shares
from fedgan.protocol import ClientReport, group_key

__all__ = ["GroupDroShares", "critic_gaps", "round_shares", "shares_line"]


class GroupDroShares:
    """``π`` over groups, moved each round by the clients' per-group Wasserstein estimates.

    Parameters
    ----------
    start : np.ndarray
        ``[G]`` the ``group-balanced`` shares (where ``π`` starts: that scheme's weights).
    rows : np.ndarray
        ``[G]`` the groups' shares of the declared rows (size weighting's shares).
    step : float
        The exponentiated-gradient step ``η`` per round (``dro-step``), > 0.
    """

    def __init__(self, start: np.ndarray, rows: np.ndarray, *, step: float) -> None:
        start, rows = np.asarray(start, np.float64), np.asarray(rows, np.float64)
        if start.shape != rows.shape or start.ndim != 1:
            raise ValueError(
                f"start and rows need one share per group, got {start.shape}, {rows.shape}"
            )
        if not step > 0:
            raise ValueError(f"step must be > 0, got {step!r}")
        self.low, self.high = np.minimum(start, rows), np.maximum(start, rows)
        self.step = float(step)
        self.shares = start / start.sum()

    @classmethod
    def for_rows(
        cls, totals: np.ndarray, target_share: Sequence[float] | None, *, step: float
    ) -> GroupDroShares:
        """Start at group-balanced's shares for the groups' row ``totals``; box to the rows'."""
        totals = np.asarray(totals, np.float64)
        return cls(group_shares(target_share, totals > 0), totals / totals.sum(), step=step)

    def update(self, estimates: np.ndarray) -> np.ndarray:
        """Move ``π`` by one round's estimates and return it.

        Parameters
        ----------
        estimates : np.ndarray
            ``[K, G]`` each accepted client's Wasserstein estimate per group; NaN where
            the client holds no rows of the group or released none.

        Returns
        -------
        np.ndarray
            ``[G]`` the new shares (sum 1, inside the box).
        """
        est = np.asarray(estimates, np.float64)
        if est.ndim != 2 or est.shape[1] != len(self.shares):
            raise ValueError(f"estimates must be [clients, {len(self.shares)}], got {est.shape}")
        est = np.where(np.isfinite(est), est, np.nan)
        seen = np.isfinite(est).any(axis=0) & (self.high > 0)
        if seen.sum() < 2:  # nothing to compare: no step
            return self.shares
        with np.errstate(all="ignore"):
            signal = np.nanmedian(est[:, seen], axis=0)
        # Relative to the groups' mean, so the step does not depend on the critics' scale.
        scale = np.mean(np.abs(signal))
        if not scale > 0:
            return self.shares
        excess = np.zeros_like(self.shares)
        excess[seen] = (signal - signal.mean()) / scale
        moved = self.shares * np.exp(self.step * excess)
        self.shares = _project(moved / moved.sum(), self.low, self.high)
        return self.shares

    def state(self) -> dict[str, list[float]]:
        """The shares and the box, for checkpoints."""
        return {
            "shares": self.shares.tolist(),
            "low": self.low.tolist(),
            "high": self.high.tolist(),
        }

    def restore(self, state: dict[str, list[float]] | list[float]) -> None:
        """Put back what :meth:`state` saved (the box as it was made, not as rows now say).

        A bare list is the shares alone (checkpoints of 2026-12-07, before the box was saved).
        """
        if isinstance(state, list):
            state = {"shares": state, "low": self.low.tolist(), "high": self.high.tolist()}
        saved = {k: np.asarray(state[k], np.float64) for k in ("shares", "low", "high")}
        if any(v.shape != self.shares.shape for v in saved.values()):
            raise ValueError(
                f"saved shares have shapes {[v.shape for v in saved.values()]}, "
                f"need {self.shares.shape}"
            )
        self.shares, self.low, self.high = saved["shares"], saved["low"], saved["high"]


def critic_gaps(reports: Sequence[ClientReport], num_groups: int) -> np.ndarray:
    """``[K, G]`` each report's critic gap per group; NaN where it holds no rows or sent none."""
    gaps = [
        [
            r.metrics.get(group_key(g, "wasserstein"), np.nan) if r.counts[g] > 0 else np.nan
            for g in range(num_groups)
        ]
        for r in reports
    ]
    return np.array(gaps, dtype=np.float64).reshape(len(reports), num_groups)


def round_shares(
    dro: GroupDroShares | None,
    saved: dict[str, list[float]] | list[float] | None,
    reports: Sequence[ClientReport],
    *,
    totals: np.ndarray,
    target_share: Sequence[float] | None,
    step: float,
) -> GroupDroShares:
    """One round of the server's shares, moved by ``reports``.

    Made on the first round, from the declared row ``totals`` then (``saved`` put back on a
    resumed run).
    """
    if dro is None:
        dro = GroupDroShares.for_rows(totals, target_share, step=step)
        if saved is not None:
            dro.restore(saved)
    dro.update(critic_gaps(reports, len(dro.shares)))
    return dro


def _project(p: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``clip(p·e^λ, low, high)`` with the ``λ`` that makes it sum to 1 (bisection)."""
    if ((p >= low) & (p <= high)).all():  # already inside: no rounding added
        return p
    live = p > 0
    if not live.any():
        return low / low.sum()
    lo, hi = -50.0, 50.0
    for _ in range(200):
        mid = (lo + hi) / 2
        total = np.clip(np.where(live, p * np.exp(mid), 0.0), low, high).sum()
        lo, hi = (mid, hi) if total < 1 else (lo, mid)
    out = np.clip(np.where(live, p * np.exp((lo + hi) / 2), 0.0), low, high)
    return out / out.sum()


def shares_line(
    dro: GroupDroShares, weights: pd.DataFrame, group_names: Sequence[str]
) -> tuple[str, dict[str, float]]:
    """The verdict's line on where ``π`` went: start, end and the box, per group."""
    cols = [f"group_{g}_share" for g in range(len(group_names))]
    if weights.empty or not set(cols) <= set(weights.columns):
        return "  Weights (group-dro): no round merged, the shares did not move.", {}
    first = weights.loc[weights["round"] == weights["round"].min(), cols].iloc[0].to_numpy()
    last = weights.loc[weights["round"] == weights["round"].max(), cols].iloc[0].to_numpy()
    parts = [
        f"{name} {a:.3f} → {b:.3f} (between {lo:.3f} and {hi:.3f})"
        for name, a, b, lo, hi in zip(group_names, first, last, dro.low, dro.high)
    ]
    facts = {f"group/{g}/dro_share": float(v) for g, v in enumerate(last)}
    return (
        "  Weights (group-dro): each group's share of the weights, first round → last: "
        + "; ".join(parts)
        + ".",
        facts,
    )
