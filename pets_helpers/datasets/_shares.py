"""Small sampling helpers shared by the table generators."""

from __future__ import annotations

import numpy as np


def normalized(shares) -> np.ndarray:
    """Shares (any positive weights) as probabilities that sum to 1."""
    p = np.asarray(shares, dtype=float)
    return p / p.sum()


def choose_rows(rng, probs: np.ndarray) -> np.ndarray:
    """One category per row of ``probs`` (rows sum to 1), by inversion of the row CDFs."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u >= cdf).sum(axis=1), probs.shape[1] - 1)
