"""How a fraud team judges a model: recall at a fixed alert rate.

Analysts can review only so many alerts a day, so the bank flags a fixed share of transactions —
the ``alert_rate`` (e.g. 1 %) with the highest scores — and asks what share of all fraud lands in
that queue. Recall at a fixed alert rate depends only on how the model *ranks* transactions, so
it compares models whose scores are on different scales (a cleartext probability, a polynomial
score decrypted from CKKS).
"""

from __future__ import annotations

import math

import numpy as np

from ..validation import check_binary, check_finite_array, check_real


def alerts_at_rate(scores, alert_rate) -> np.ndarray:
    """Boolean mask of the ⌈alert_rate · n⌉ highest ``scores`` (ties broken by position)."""
    s = check_finite_array(scores, "scores").ravel()
    rate = check_real(alert_rate, "alert_rate", low=0, high=1, closed="right",
                      hint="It is the share of transactions flagged for review, e.g. 0.01.")
    k = min(s.size, math.ceil(rate * s.size))
    mask = np.zeros(s.size, dtype=bool)
    mask[np.argsort(-s, kind="stable")[:k]] = True
    return mask


def recall_at_alert_rate(scores, is_fraud, alert_rate) -> float:
    """Share of all fraud among the top ``alert_rate`` share of transactions by score.

    ``scores``: higher = more suspicious; ``is_fraud``: 0/1 labels of the same transactions (at
    least one fraud). The queue holds ⌈alert_rate · n⌉ transactions.
    """
    y = check_binary(is_fraud, "is_fraud").ravel()
    s = check_finite_array(scores, "scores").ravel()
    if s.shape != y.shape:
        raise ValueError(f"scores ({s.size}) and is_fraud ({y.size}) must have one entry per transaction.")
    if y.sum() == 0:
        raise ValueError("is_fraud holds no fraud: recall is undefined. Use a larger test set.")
    return float(y[alerts_at_rate(s, alert_rate)].sum() / y.sum())
