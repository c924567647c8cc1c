"""The digits evaluator network: class probabilities, a reject class, penultimate features.

Generated digits are judged the way the field judges generated images (the FID recipe),
with a network trained once on real data: its penultimate layer gives the features for
Fréchet distances and precision/recall, its class probabilities say which digit a sample
is and how sure it is. A plain classifier is confidently wrong on noise (measured: 17% of
uniform-noise images get a top probability ≥ 0.9, 40% of moment-matched Gaussian noise), so
the network has an eleventh class, "not a digit", trained on outliers (outlier exposure,
Hendrycks et al. 2019): uniform noise, pixel-shuffled digits and blends of two digits. Noise
of kinds it never saw (Gaussian with the digits' moments, smoothed noise, constant images,
the mean image, three-digit blends) then stays below the threshold; the tests check it.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fedgan._io import atomic_write

__all__ = [
    "HQ_THRESHOLD",
    "DigitsClassifier",
    "cache_path",
    "digits_classifier",
    "split_digits",
]

log = logging.getLogger(__name__)

HQ_THRESHOLD = 0.5  # a sample is a clear digit when one digit class holds half the probability
_DIGITS = 10


def _net() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, _DIGITS + 1)
    )


def _outliers(n: int, rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    """Not-a-digit examples: uniform noise, pixel-shuffled digits, blends of two digits."""
    k = n // 3
    uniform = rng.uniform(-1, 1, (k, 64))
    shuffled = np.array([digits[i][rng.permutation(64)] for i in rng.integers(0, len(digits), k)])
    a, b = (digits[rng.integers(0, len(digits), n - 2 * k)] for _ in range(2))
    return np.concatenate([uniform, shuffled, 0.5 * (a + b)])


@dataclass(frozen=True)
class DigitsClassifier:
    """A trained evaluator network for 8×8 digits scaled to [−1, 1].

    Attributes
    ----------
    net : torch.nn.Sequential
        64 → 256 → 128 (features) → 11 logits (ten digits and "not a digit").
    test_accuracy : float
        Ten-way accuracy on the held-out 30% of scikit-learn's digits.
    real_hq : float
        Share of those held-out digits that are high quality (:data:`HQ_THRESHOLD`).
    """

    net: nn.Sequential
    test_accuracy: float
    real_hq: float

    def _run(self, x: np.ndarray, upto: int | None = None) -> np.ndarray:
        t = torch.as_tensor(np.asarray(x, dtype=np.float32).reshape(len(x), -1))
        with torch.no_grad():
            return self.net[:upto](t).numpy().astype(np.float64)

    def probs(self, x: np.ndarray) -> np.ndarray:
        """``[N, 10]`` digit probabilities (the rest of each row's mass is "not a digit")."""
        logits = self._run(x)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True))[:, :_DIGITS]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable digit of each row."""
        return self.probs(x).argmax(axis=1)

    def features(self, x: np.ndarray) -> np.ndarray:
        """``[N, 128]`` penultimate-layer features."""
        return self._run(x, upto=4)

    def high_quality(self, x: np.ndarray) -> np.ndarray:
        """Whether each row is a clear digit: its top digit probability ≥ :data:`HQ_THRESHOLD`."""
        return self.probs(x).max(axis=1) >= HQ_THRESHOLD


def split_digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's digits scaled to [−1, 1], split 70/30 stratified: train x, y, test x, y."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.data / 8.0 - 1.0
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, d.target, test_size=0.3, random_state=seed, stratify=d.target
    )
    return x_tr, y_tr, x_te, y_te


def _train(seed: int) -> nn.Sequential:
    """The evaluator network's recipe: 80 epochs of Adam on the train split plus outliers."""
    x_tr, y_tr, _, _ = split_digits(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = _net()
            opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
            rng, order = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
            x, y = torch.tensor(x_tr, dtype=torch.float32), torch.as_tensor(y_tr)
            for _ in range(80):
                out = torch.tensor(_outliers(len(x_tr) // 2, rng, x_tr), dtype=torch.float32)
                xa, ya = torch.cat([x, out]), torch.cat([y, torch.full((len(out),), _DIGITS)])
                perm = torch.randperm(len(xa), generator=order)
                for i in range(0, len(xa), 64):
                    idx = perm[i : i + 64]
                    loss = nn.functional.cross_entropy(net(xa[idx]), ya[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
    finally:
        torch.set_num_threads(threads)
    return net


def cache_path(seed: int) -> Path:
    """Where the trained network of ``seed`` is kept: ``$FEDGAN_HOME/cache``, else the user's.

    The name holds a hash of the recipe's code and of the library versions that shape the
    weights, so a changed recipe or a new torch trains afresh instead of reading stale weights.
    """
    import sklearn

    try:
        recipe = "".join(inspect.getsource(f) for f in (split_digits, _net, _outliers, _train))
    except OSError:  # installed without sources: the package's version stands for the recipe
        from importlib.metadata import version

        recipe = f"fedgan {version('fedgan')}"
    versions = f"{seed}|{torch.__version__}|{np.__version__}|{sklearn.__version__}"
    key = hashlib.sha256((recipe + versions).encode()).hexdigest()[:16]
    home = os.environ.get("FEDGAN_HOME")
    base = (
        Path(home)
        if home
        else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fedgan"
    )
    return base / "cache" / f"digits-evaluator-{key}.pt"


def _cached_net(seed: int) -> nn.Sequential:
    """The trained network from the cache, or trained now and cached (about 3 s saved a run)."""
    path = cache_path(seed)
    net = _net()
    try:
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return net
    except FileNotFoundError:
        pass
    except Exception as err:  # a torn or foreign file: train again and replace it
        log.warning("digits evaluator cache %s unreadable (%s): training it again", path, err)
    net = _train(seed)
    try:
        atomic_write(path, lambda f: torch.save(net.state_dict(), f))
    except OSError as err:  # a read-only home costs the 3 s each run, nothing else
        log.warning("digits evaluator not cached at %s: %s", path, err)
    return net


@functools.lru_cache(maxsize=2)
def digits_classifier(seed: int = 0) -> DigitsClassifier:
    """The evaluator network trained on 70% of the real digits (once per machine, then cached).

    Trained on one thread, so every process gets the same weights whatever its thread count;
    the weights are kept on disk (:func:`cache_path`) and read back, bit for bit, by later runs.
    """
    net = _cached_net(seed)
    net.eval()
    _, _, x_te, y_te = split_digits(seed)
    clf = DigitsClassifier(net=net, test_accuracy=0.0, real_hq=0.0)
    acc = float((clf.predict(x_te) == y_te).mean())
    return DigitsClassifier(
        net=net, test_accuracy=acc, real_hq=float(clf.high_quality(x_te).mean())
    )
