"""Warner's randomized response (Warner 1965) for one sensitive bit per user.

Each user reports their true bit with probability p = e^ε/(1+e^ε) and the flipped bit
otherwise. Guarantee: **ε-LDP, privacy unit = one user's one report**, since
P[y | x] / P[y | x'] ≤ p/(1-p) = e^ε.

The fraction λ of reported ones has E[λ] = πp + (1-π)(1-p), so
π̂ = (mean(reports) - (1-p)) / (2p-1) is unbiased for the true fraction π of ones.
"""

from __future__ import annotations

import math

import numpy as np

from ..randomness import resolve_rng
from ..validation import check_binary, check_epsilon, check_positive_int, check_probability
from ._sampling import bernoulli


def _as_bits(values, name: str) -> np.ndarray:
    """``check_binary`` with a fast path (two reductions) for valid 1-D integer/bool arrays."""
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "biu":
        if values.size == 0 or (values.min() >= 0 and values.max() <= 1):
            return values.astype(np.int8, copy=False)
    return check_binary(values, name)


def rr_keep_probability(epsilon) -> float:
    """p = e^ε/(1+e^ε): probability that a user reports their true bit."""
    epsilon = check_epsilon(epsilon)
    return 1.0 / (1.0 + math.exp(-epsilon))


def randomized_response(bits, epsilon, rng=None) -> np.ndarray:
    """Each user's bit, kept w.p. p = e^ε/(1+e^ε) and flipped otherwise (ε-LDP per report).

    ``bits``: 1-D array of 0/1, one per user. ``rng``: None = cryptographically secure
    randomness; an int seed or numpy Generator for reproducibility. Returns int8 0/1.
    """
    epsilon = check_epsilon(epsilon)
    bits = _as_bits(bits, "bits")
    # Draw the flip (probability 1-p): the sampler rounds it up to a multiple of 2^-53,
    # which can only lower the likelihood ratio p/(1-p).
    flip_probability = math.exp(-epsilon) / (1.0 + math.exp(-epsilon))
    flip = bernoulli(resolve_rng(rng), flip_probability, bits.shape[0])
    return np.bitwise_xor(bits, flip, dtype=np.int8)


def rr_estimate(reports, epsilon) -> float:
    """Unbiased estimate of the true fraction of ones: (mean(reports) - (1-p)) / (2p-1).

    Not clipped to [0, 1] (clipping would bias it).
    """
    p = rr_keep_probability(epsilon)
    reports = _as_bits(reports, "reports")
    if reports.shape[0] == 0:
        raise ValueError("reports is empty: need at least one report to estimate a fraction.")
    mean = np.count_nonzero(reports) / reports.shape[0]
    return float((mean - (1.0 - p)) / (2.0 * p - 1.0))


def rr_variance(n, epsilon, true_fraction=None, *, fixed_data: bool = False) -> float:
    """Variance of :func:`rr_estimate` from ``n`` reports.

    Default (Warner 1965: the n users are a random sample from a population with fraction π
    of ones, so every report is 1 with probability λ = πp + (1-π)(1-p)):
        Var = λ(1-λ) / (n (2p-1)²) = π(1-π)/n + p(1-p)/(n(2p-1)²).
    With ``true_fraction=None`` the worst case λ = 1/2: 1 / (4n(2p-1)²).

    ``fixed_data=True``: variance for a *fixed* set of bits (only the mechanism is random,
    the convention of the frequency oracles): p(1-p) / (n (2p-1)²), whatever π is.
    """
    n = check_positive_int(n, "n")
    p = rr_keep_probability(epsilon)
    if fixed_data:
        if true_fraction is not None:
            check_probability(true_fraction, "true_fraction")
        return p * (1 - p) / (n * (2 * p - 1) ** 2)
    if true_fraction is None:
        lam = 0.5
    else:
        pi = check_probability(true_fraction, "true_fraction")
        lam = pi * p + (1 - pi) * (1 - p)
    return lam * (1 - lam) / (n * (2 * p - 1) ** 2)


def rr_report_probability(bit, report, epsilon) -> float:
    """Exact P[report | bit] of Warner's randomized response (for verifying ε-LDP)."""
    p = rr_keep_probability(epsilon)
    for name, v in (("bit", bit), ("report", report)):
        if v not in (0, 1):
            raise ValueError(f"{name} must be 0 or 1, got {v!r}.")
    return p if int(bit) == int(report) else 1.0 - p
