"""Zero-concentrated differential privacy (zCDP; Bun & Steinke 2016) for Gaussian noise.

A mechanism M is ρ-zCDP if for all neighbouring datasets and every Rényi order α > 1,
D_α(M(x) ‖ M(x')) ≤ ρα. Facts used here (ρ is dimensionless, ε in nats):

- Gaussian mechanism, ℓ2-sensitivity Δ, noise N(0, σ²): ρ = Δ²/(2σ²)  (:func:`gaussian_rho`;
  its inverse is :func:`gaussian_sigma_for_rho`).
- Any pure ε-DP mechanism (e.g. Laplace with scale Δ/ε) is ε²/2-zCDP  (:func:`laplace_rho`).
- Composition simply adds: ρ-zCDP then ρ'-zCDP is (ρ + ρ')-zCDP  (:func:`compose_rho`).
- Conversion to (ε, δ)-DP for any δ > 0:
  * simple (Bun–Steinke 2016, Prop. 1.3): ε = ρ + 2 sqrt(ρ ln(1/δ))
    (:func:`rho_to_epsilon_simple`);
  * tighter (Canonne, Kamath, Steinke 2020, "The Discrete Gaussian for DP", Cor. 13, via the
    Rényi-DP conversion of their Prop. 12 / Asoodeh et al. 2020):
        ε = inf_{α>1}  αρ + ln(1 − 1/α) − (ln δ + ln α)/(α − 1)
    (:func:`rho_to_epsilon`). Google's ``dp_accounting`` RDP accountant uses the same conversion,
    minimised over a fixed grid of orders; we minimise over all α > 1, so our ε is never larger
    and usually equal to theirs to ~1e-3 relative.

zCDP does not imply pure DP: δ = 0 is rejected.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ..validation import check_epsilon, check_positive_delta, check_real


def gaussian_rho(sensitivity, sigma) -> float:
    """ρ = Δ²/(2σ²): the zCDP of adding N(0, σ²) noise to a query of ℓ2-sensitivity Δ."""
    sensitivity = check_real(sensitivity, "sensitivity", low=0, closed="neither",
                             hint="It is the most one person can change the query (ℓ2 norm).")
    sigma = check_real(sigma, "sigma", low=0, closed="neither",
                       hint="σ is the standard deviation of the Gaussian noise.")
    return sensitivity**2 / (2.0 * sigma**2)


def gaussian_sigma_for_rho(sensitivity, rho) -> float:
    """σ = Δ / sqrt(2ρ): the smallest Gaussian noise that is ρ-zCDP (inverse of gaussian_rho).

    Not to be confused with :func:`pets_helpers.dp.gaussian_sigma` (Δ, ε, δ), the σ of an
    (ε, δ)-DP Gaussian mechanism."""
    sensitivity = check_real(sensitivity, "sensitivity", low=0, closed="neither")
    rho = check_real(rho, "rho", low=0, closed="neither")
    return sensitivity / math.sqrt(2.0 * rho)


def laplace_rho(epsilon) -> float:
    """ρ = ε²/2: a pure ε-DP release (e.g. the Laplace mechanism) is ε²/2-zCDP."""
    epsilon = check_epsilon(epsilon)
    return epsilon**2 / 2.0


def compose_rho(rhos) -> float:
    """Total zCDP of releases on the same data: Σ ρ_i (each ρ_i ≥ 0)."""
    if isinstance(rhos, numbers.Number):
        raise TypeError(f"rhos must be a sequence of numbers, got {rhos!r}; wrap it: [{rhos!r}].")
    values = [check_real(r, f"rhos[{i}]", low=0, closed="both") for i, r in enumerate(rhos)]
    if not values:
        raise ValueError("rhos is empty: composition needs at least one release.")
    return math.fsum(values)


def _check_rho(rho) -> float:
    return check_real(rho, "rho", low=0, closed="both",
                      hint="ρ is the zCDP parameter, e.g. Δ²/(2σ²).")


def _check_positive_delta(delta) -> float:
    return check_positive_delta(delta, "zCDP (like Gaussian noise) never gives pure ε-DP; "
                                "pick e.g. delta=1e-6 (well below 1/n).")


def rho_to_epsilon_simple(rho, delta) -> float:
    """ε = ρ + 2 sqrt(ρ ln(1/δ)) (Bun & Steinke 2016, Prop. 1.3): ρ-zCDP ⇒ (ε, δ)-DP."""
    rho = _check_rho(rho)
    delta = _check_positive_delta(delta)
    return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))


def _ckS_objective(u, rho: float, log_delta: float):
    """αρ + ln(1 − 1/α) − (ln δ + ln α)/(α − 1) at α = 1 + e^u (stable for α near 1)."""
    a_minus_1 = np.exp(u)
    log_alpha = np.log1p(a_minus_1)
    return (1.0 + a_minus_1) * rho + (u - log_alpha) - (log_delta + log_alpha) / a_minus_1


def rho_to_epsilon(rho, delta) -> float:
    """Tight conversion ρ-zCDP ⇒ (ε, δ)-DP (Canonne–Kamath–Steinke 2020, Cor. 13).

    ε = inf_{α>1} αρ + ln(1 − 1/α) − (ln δ + ln α)/(α − 1), found numerically (a grid over
    ln(α − 1) then Brent's method), clipped at 0 and never above :func:`rho_to_epsilon_simple`.
    """
    rho = _check_rho(rho)
    delta = _check_positive_delta(delta)
    if rho == 0.0:
        return 0.0
    log_delta = math.log(delta)
    grid = np.linspace(-25.0, 30.0, 1101)
    with np.errstate(over="ignore", invalid="ignore"):
        values = _ckS_objective(grid, rho, log_delta)
    values = np.where(np.isfinite(values), values, np.inf)
    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = minimize_scalar(lambda u: float(_ckS_objective(u, rho, log_delta)),
                          bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    best = min(float(values[i]), float(res.fun) if np.isfinite(res.fun) else np.inf)
    simple = rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))
    return max(0.0, min(best, simple))


def epsilon_to_rho(epsilon, delta) -> float:
    """The largest ρ whose zCDP guarantee converts to (ε, δ)-DP by :func:`rho_to_epsilon`.

    Use it to turn an (ε, δ) budget into a zCDP budget: e.g. ``ZCDPAccountant(
    epsilon_to_rho(1.0, 1e-6))``. (For the zCDP of a *pure* ε-DP release use
    :func:`laplace_rho`.) The result satisfies rho_to_epsilon(ρ, δ) ≤ ε.
    """
    epsilon = check_epsilon(epsilon)
    delta = _check_positive_delta(delta)
    log_inv = math.log(1.0 / delta)
    # The simple bound is looser, so its inverse is a lower bracket.
    lo = (math.sqrt(log_inv + epsilon) - math.sqrt(log_inv)) ** 2
    hi = max(2.0 * lo, 1e-300)
    while rho_to_epsilon(hi, delta) <= epsilon:
        lo, hi = hi, 2.0 * hi
    if rho_to_epsilon(lo, delta) >= epsilon:
        return lo
    root = brentq(lambda r: rho_to_epsilon(r, delta) - epsilon, lo, hi, xtol=1e-15, rtol=1e-13)
    while rho_to_epsilon(root, delta) > epsilon:  # stay on the safe side of the root
        root = math.nextafter(root, 0.0) if root * 1e-12 == 0 else root * (1.0 - 1e-12)
    return root
