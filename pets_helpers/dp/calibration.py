"""Noise calibration: sensitivity of clipped sums, Laplace scale, Gaussian σ, and their errors.

- :func:`clipped_sum_sensitivity`: how much one record can move a sum of values clipped to
  [lower, upper].
- :func:`analytic_gaussian_sigma` (Balle & Wang, ICML 2018) and
  :func:`classic_gaussian_sigma` (Dwork & Roth 2014, Thm A.1): the σ that makes
  x + N(0, σ²) (ε, δ)-DP for a query with L2 sensitivity Δ; :func:`gaussian_delta` is the
  exact δ of a given σ.
- :func:`laplace_mse`, :func:`gaussian_mse`: the noise variance of the continuous mechanisms
  (the mean squared error of an unbiased release). The lattice mechanisms of
  :mod:`.mechanisms` report their own exact variances (:func:`.laplace_noise_plan`).
- :func:`gaussian_calibration`: classic vs analytic σ over a range of ε, and the true δ of the
  classic σ (Lesson 02's table).
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import special

from ..validation import (check_bounds, check_epsilon, check_positive,
                          check_positive_delta)

NEIGHBOURING_RELATIONS = ("add_remove", "replace")


def clipped_sum_sensitivity(lower, upper, neighbouring: str = "add_remove") -> float:
    """Sensitivity of Σ clip(x_i, lower, upper) (L1 = L2: the sum is a scalar).

    ``neighbouring="add_remove"`` (the default throughout :mod:`pets_helpers.dp`): neighbouring
    datasets differ by adding or removing one record, which changes the sum by the clipped
    value itself, at most max(|lower|, |upper|). ``"replace"``: one record is replaced by
    another, which changes the sum by at most upper - lower.
    """
    lower, upper = check_bounds(lower, upper)
    if neighbouring == "add_remove":
        return max(abs(lower), abs(upper))
    if neighbouring == "replace":
        return upper - lower
    raise ValueError(
        f"neighbouring must be one of {NEIGHBOURING_RELATIONS}, got {neighbouring!r}."
    )


def _check_gaussian_delta(delta) -> float:
    return check_positive_delta(
        delta, "δ = 0 is impossible for the Gaussian mechanism (its privacy loss is unbounded); "
        "use e.g. 1e-6 (well below 1/n), or the Laplace mechanism for pure ε-DP.")


def _log_delta(sigma: float, sensitivity: float, epsilon: float) -> float:
    """log δ(σ) for the Gaussian mechanism (see :func:`gaussian_delta`), stable in the tails."""
    u = sensitivity / (2.0 * sigma)
    v = epsilon * sigma / sensitivity
    log_a = special.log_ndtr(u - v)  # log Φ(Δ/2σ - εσ/Δ)
    log_b = special.log_ndtr(-u - v)  # log Φ(-Δ/2σ - εσ/Δ)
    ratio = epsilon + log_b - log_a  # log(e^ε Φ(b) / Φ(a)) < 0
    if ratio >= 0.0:  # rounding at the extremes: δ is then below what float64 can resolve
        return -math.inf
    return float(log_a + math.log(-math.expm1(ratio)))


def gaussian_delta(sigma, sensitivity, epsilon) -> float:
    """Exact δ(ε) of the Gaussian mechanism with noise N(0, σ²) and L2 sensitivity Δ.

    Balle & Wang (ICML 2018), Theorem 8: the mechanism is (ε, δ)-DP iff
    δ ≥ Φ(Δ/(2σ) - εσ/Δ) - e^ε·Φ(-Δ/(2σ) - εσ/Δ); this returns the right-hand side,
    computed in log space (``scipy.special.log_ndtr``) so it stays accurate for tiny δ.
    """
    sigma = check_positive(sigma, "sigma")
    sensitivity = check_positive(sensitivity, "sensitivity")
    epsilon = check_epsilon(epsilon)
    return math.exp(_log_delta(sigma, sensitivity, epsilon))


def analytic_gaussian_sigma(sensitivity, epsilon, delta) -> float:
    """Smallest σ with which x + N(0, σ²) is (ε, δ)-DP (Balle & Wang, ICML 2018).

    Solves gaussian_delta(σ) = δ by bisection on log σ (δ(σ) decreases in σ) to a relative
    precision of ~1e-15 and returns the upper end, so the condition holds. Valid for every
    ε > 0 (unlike :func:`classic_gaussian_sigma`) and never larger than the classic σ.
    """
    sensitivity = check_positive(sensitivity, "sensitivity")
    epsilon = check_epsilon(epsilon)
    target = math.log(_check_gaussian_delta(delta))

    def too_small(sigma: float) -> bool:  # δ(σ) > target: σ does not suffice
        return _log_delta(sigma, sensitivity, epsilon) > target

    start = sensitivity * math.sqrt(2.0 * math.log(1.25 / math.exp(target))) / epsilon
    lo = hi = start
    while too_small(hi):
        hi *= 2.0
    while not too_small(lo):
        lo /= 2.0
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if not lo < mid < hi:
            break
        if too_small(mid):
            lo = mid
        else:
            hi = mid
    return hi


def classic_gaussian_sigma(sensitivity, epsilon, delta) -> float:
    """σ = Δ·sqrt(2 ln(1.25/δ))/ε (Dwork & Roth 2014, Theorem A.1), valid only for ε < 1.

    Raises ValueError for ε ≥ 1, where the theorem does not apply (and the formula can be
    too small): use :func:`analytic_gaussian_sigma` (``analytic=True``) instead.
    """
    sensitivity = check_positive(sensitivity, "sensitivity")
    epsilon = check_epsilon(epsilon)
    delta = _check_gaussian_delta(delta)
    if epsilon >= 1.0:
        raise ValueError(
            f"the classic Gaussian calibration σ = Δ·sqrt(2 ln(1.25/δ))/ε is only proven for "
            f"ε < 1, got epsilon={epsilon!r}; use the analytic Gaussian (analytic=True, "
            "analytic_gaussian_sigma), which is exact for every ε and never needs more noise."
        )
    return sensitivity * math.sqrt(2.0 * math.log(1.25 / delta)) / epsilon


def gaussian_sigma(sensitivity, epsilon, delta, analytic: bool = True) -> float:
    """:func:`analytic_gaussian_sigma` or (``analytic=False``) :func:`classic_gaussian_sigma`."""
    if analytic:
        return analytic_gaussian_sigma(sensitivity, epsilon, delta)
    return classic_gaussian_sigma(sensitivity, epsilon, delta)


def laplace_mse(sensitivity, epsilon) -> float:
    """Variance 2(Δ/ε)² of continuous Laplace noise with scale Δ/ε (= MSE of the release)."""
    sensitivity = check_positive(sensitivity, "sensitivity")
    epsilon = check_epsilon(epsilon)
    return 2.0 * (sensitivity / epsilon) ** 2


def gaussian_mse(sensitivity, epsilon, delta, analytic: bool = True) -> float:
    """Variance σ² of the Gaussian mechanism's noise (= MSE of the release)."""
    return gaussian_sigma(sensitivity, epsilon, delta, analytic) ** 2


def gaussian_calibration(sensitivity, delta, epsilons) -> pd.DataFrame:
    """Classic vs analytic Gaussian σ over ``epsilons``, and the true δ of the classic σ.

    The classic formula σ = Δ·sqrt(2 ln(1.25/δ))/ε is evaluated for every ε (also ε ≥ 1, where
    it is not proven) by rescaling the value at ε = 0.5 (where it is valid).
    """
    ref = classic_gaussian_sigma(sensitivity, 0.5, delta) * 0.5
    rows = []
    for eps in epsilons:
        classic = ref / eps
        rows.append((eps, classic, analytic_gaussian_sigma(sensitivity, eps, delta),
                     gaussian_delta(classic, sensitivity, eps)))
    table = pd.DataFrame(rows, columns=["epsilon", "classic_sigma", "analytic_sigma",
                                        "true_delta_of_classic"])
    table["classic_valid"] = table["true_delta_of_classic"] <= delta
    return table
