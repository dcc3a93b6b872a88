"""Acceptance regions for checks of randomized answers, derived from theory.

Every check of a randomized answer accepts with probability ≥ 1 - ``FALSE_FAIL`` when the
answer is right, so a correct learner is wrongly failed at most once in a million checks.
"""

from __future__ import annotations

import math

from scipy import stats

FALSE_FAIL = 1e-6


def binomial_acceptance(n: int, p: float, false_fail: float = FALSE_FAIL) -> tuple[int, int]:
    """Counts [lo, hi] that a Binomial(n, p) count falls outside of w.p. ≤ ``false_fail``."""
    dist = stats.binom(n, p)
    return int(dist.ppf(false_fail / 2)), int(dist.isf(false_fail / 2))


def z_score(false_fail: float = FALSE_FAIL) -> float:
    """The two-sided normal quantile z with P(|Z| > z) = ``false_fail`` (4.89 for 1e-6)."""
    return float(stats.norm.isf(false_fail / 2))


def normal_tolerance(standard_deviation: float, false_fail: float = FALSE_FAIL) -> float:
    """Half-width of a two-sided normal acceptance interval with the given false-fail rate."""
    if not math.isfinite(standard_deviation) or standard_deviation < 0:
        raise ValueError(f"standard deviation must be finite and ≥ 0, got {standard_deviation}")
    return z_score(false_fail) * standard_deviation
