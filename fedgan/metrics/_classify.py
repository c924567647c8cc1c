"""A digits classifier that assigns generated images to classes (modes)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = ["DigitsClassifier", "digits_classifier"]


@dataclass(frozen=True)
class DigitsClassifier:
    """A fitted classifier for 8×8 digits scaled to [−1, 1].

    Attributes
    ----------
    model : object
        The fitted scikit-learn estimator.
    test_accuracy : float
        Accuracy on the held-out 30% of scikit-learn's digits.
    """

    model: object
    test_accuracy: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class of each ``[N, 64]`` row."""
        return np.asarray(self.model.predict(np.asarray(x, dtype=np.float64).reshape(len(x), -1)))  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=2)
def digits_classifier(seed: int = 0) -> DigitsClassifier:
    """Fit (once per process) a logistic regression on 70% of the real digits."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.data / 8.0 - 1.0
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, d.target, test_size=0.3, random_state=seed, stratify=d.target
    )
    model = LogisticRegression(max_iter=2000).fit(x_tr, y_tr)
    return DigitsClassifier(model=model, test_accuracy=float(model.score(x_te, y_te)))
