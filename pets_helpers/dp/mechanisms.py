"""The Laplace and Gaussian mechanisms on a lattice, safe against floating-point attacks.

``x + rng.laplace(0, Δ/ε)`` is ε-DP on paper but not on a computer: the doubles it can output
depend on x, so an output can rule an input out (Mironov, CCS 2012). Here every release is

    output = g·(round(x/g) + Z),     Z an exact integer noise draw (:mod:`.samplers`),

with ``g`` (the *granularity*) a power of two: rounding x to the lattice gℤ, adding integer
noise and scaling by g are all exact in float64, so the outputs lie exactly on gℤ and every
lattice point is a possible output of every input. (If |round(x/g) + Z| ≥ 2^53 the final
double is the correctly rounded value of the exact lattice point — still a function of the
noisy integer alone, so post-processing, and still a multiple of g.)

Guarantee (privacy unit: whatever the sensitivity is computed for — one record under
add/remove-one neighbouring throughout :mod:`pets_helpers.dp`):

- :func:`laplace_mechanism`: ε-DP for a query whose L1 sensitivity is at most ``sensitivity``.
- :func:`gaussian_mechanism`: (ε, δ)-DP for a query whose L2 sensitivity is at most
  ``sensitivity``.

Rounding to the lattice can move each entry by up to g/2, so two neighbouring answers that
differ by Δ can differ by up to Δ + g per changed entry after rounding. The mechanisms use this
*effective* sensitivity (in lattice units, an integer): for the Laplace mechanism
⌊Δ/g⌋ + m, where m = ``changed_entries`` is the number of entries that can change between
neighbouring datasets (default: all entries of ``values``); for the Gaussian mechanism
Δ/g + √m (⌊Δ/g⌋ + 1 for m = 1). The default granularity is the largest power of two
≤ 2^-20·min(Δ, noise scale)/m (m → √m for the Gaussian), so the lattice is a million times
finer than the noise and the extra noise is below one part in a million (the lattice scale is
kept ≤ 2^46, which only binds for huge m/ε). OpenDP does the same (``make_laplace`` with its
``k``).

An array of values is one release per entry: each entry alone is ε-DP for a scalar query with
sensitivity Δ, and the whole array is ε-DP for a vector query with L1 (L2) sensitivity Δ that
changes at most ``changed_entries`` entries. Releasing k *separate* arrays costs k·ε.

The discrete Gaussian with the continuous calibration of σ: Canonne, Kamath & Steinke
(NeurIPS 2020) show that integer-valued queries plus N_ℤ(0, σ²) noise satisfy exactly the same
ρ = Δ²/(2σ²) zero-concentrated DP as N(0, σ²) noise, and that the exact (ε, δ) curve is given
by the same expression as Balle & Wang's with the discrete Gaussian's tail probabilities, which
differ from the continuous ones by a relative amount that vanishes as σ (in lattice units)
grows. With the default lattice σ is ≥ 2^20 lattice units and the difference is negligible (a
test computes the exact discrete δ); with a very coarse lattice (σ of a few units) the true δ
can differ slightly from the target — the one caveat of this implementation.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..validation import (
    check_delta,
    check_epsilon,
    check_finite_array,
    check_positive,
    check_positive_int,
    check_real,
)
from .calibration import gaussian_sigma
from .samplers import (
    discrete_gaussian,
    discrete_gaussian_variance,
    discrete_laplace,
    discrete_laplace_variance,
)

FINENESS = 2.0**-20
"""Default lattice spacing relative to min(sensitivity, noise scale), per changed entry."""

MAX_LATTICE_SCALE = 2.0**46
"""The default granularity keeps the noise scale at most this many lattice units."""

_MIN_GRANULARITY, _MAX_GRANULARITY = 2.0**-1000, 2.0**1000
_INFLATION_WARNING = 0.01


@dataclass(frozen=True)
class LatticeNoise:
    """How a lattice mechanism calibrates its noise (all in data units unless stated).

    ``granularity``: the lattice spacing g (a power of two). ``effective_sensitivity``: the
    sensitivity after rounding to the lattice, g·(lattice sensitivity) ≥ ``sensitivity``.
    ``lattice_scale``: the discrete Laplace scale t or discrete Gaussian σ in lattice units.
    ``scale`` = g·lattice_scale. ``variance``: the exact variance of the noise added to each
    entry (g² times the variance of the integer noise).
    """

    mechanism: str
    epsilon: float
    delta: float
    sensitivity: float
    changed_entries: int
    granularity: float
    effective_sensitivity: float
    lattice_scale: float
    scale: float
    variance: float


# --------------------------------------------------------------------------- granularity
def _pow2_floor(x: float) -> float:
    mantissa, exponent = math.frexp(x)  # x = mantissa·2^exponent, mantissa in [0.5, 1)
    return math.ldexp(1.0, exponent - 1)


def _pow2_ceil(x: float) -> float:
    floor = _pow2_floor(x)
    return floor if floor == x else 2.0 * floor


def check_granularity(granularity) -> float:
    """Return ``granularity`` as a float, or raise unless it is a power of two (2^k)."""
    g = check_real(granularity, "granularity", low=0, closed="neither",
                   hint="Use a power of two such as 2.0**-10.")
    if math.frexp(g)[0] != 0.5:
        suggestion = _pow2_floor(g) if math.isfinite(g) and g > 0 else 2.0**-10
        raise ValueError(
            f"granularity must be a power of two (only then is rounding to the lattice exact), "
            f"got {granularity!r}; e.g. granularity={suggestion!r} "
            f"(= 2**{int(math.log2(suggestion))})."
        )
    if not _MIN_GRANULARITY <= g <= _MAX_GRANULARITY:
        raise ValueError(f"granularity must lie in [2^-1000, 2^1000], got {granularity!r}.")
    return g


def default_granularity(sensitivity: float, noise_scale: float, spread: float) -> float:
    """Largest power of two ≤ 2^-20·min(sensitivity, noise_scale)/spread, coarsened if needed
    so that noise_scale is at most 2^46 lattice units."""
    g = _pow2_floor(FINENESS * min(sensitivity, noise_scale) / spread)
    g = max(g, _pow2_ceil(noise_scale / MAX_LATTICE_SCALE))
    if not _MIN_GRANULARITY <= g <= _MAX_GRANULARITY:
        raise ValueError(
            f"sensitivity {sensitivity!r} and noise scale {noise_scale!r} are out of the "
            "supported range; rescale the data."
        )
    return g


def _round_up_division(numerator: int, epsilon: float) -> float:
    """Smallest-ish float t with t·ε ≥ numerator exactly (so ε is never exceeded)."""
    t = numerator / epsilon
    while Fraction(t) * Fraction(epsilon) < numerator:
        t = math.nextafter(t, math.inf)
    return t


def _changed(changed_entries, size: int) -> int:
    if changed_entries is None:
        return max(int(size), 1)
    return check_positive_int(changed_entries, "changed_entries")


# --------------------------------------------------------------------------- plans
def laplace_noise_plan(sensitivity, epsilon, changed_entries=1, granularity=None) -> LatticeNoise:
    """Granularity, effective sensitivity, scale and exact variance of :func:`laplace_mechanism`.

    Lattice sensitivity D = ⌊Δ/g⌋ + m (an integer; m = ``changed_entries``), lattice scale
    t = D/ε (rounded up), noise g·DLap(t), variance g²·2q/(1-q)² with q = e^(-1/t) — close
    to the continuous 2(Δ/ε)² (:func:`.laplace_mse`).
    """
    sensitivity = check_positive(sensitivity, "sensitivity")
    epsilon = check_epsilon(epsilon)
    m = check_positive_int(changed_entries, "changed_entries")
    if granularity is None:
        g = default_granularity(sensitivity, sensitivity / epsilon, m)
    else:
        g = check_granularity(granularity)
    lattice_sensitivity = int(math.floor(sensitivity / g)) + m  # Δ/g is exact (g = 2^k)
    t = _round_up_division(lattice_sensitivity, epsilon)
    if t > 2.0**52:
        raise ValueError(
            f"granularity={g!r} is too fine for this noise ({t:.3g} lattice units > 2^52); "
            "use a coarser granularity or leave the default."
        )
    return LatticeNoise(
        mechanism="laplace",
        epsilon=epsilon,
        delta=0.0,
        sensitivity=sensitivity,
        changed_entries=m,
        granularity=g,
        effective_sensitivity=g * lattice_sensitivity,
        lattice_scale=t,
        scale=g * t,
        variance=g * g * discrete_laplace_variance(t),
    )


def gaussian_noise_plan(sensitivity, epsilon, delta, changed_entries=1, analytic: bool = True,
                        granularity=None) -> LatticeNoise:
    """Granularity, effective sensitivity, σ and exact variance of :func:`gaussian_mechanism`.

    Lattice L2 sensitivity D = Δ/g + √m (⌊Δ/g⌋ + 1 for m = 1); σ = the analytic (or classic)
    Gaussian σ for sensitivity g·D, ε, δ; noise g·N_ℤ(0, (σ/g)²).
    """
    sensitivity = check_positive(sensitivity, "sensitivity")
    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta)
    m = check_positive_int(changed_entries, "changed_entries")
    sigma0 = gaussian_sigma(sensitivity, epsilon, delta, analytic)  # also validates ε, δ
    if granularity is None:
        g = default_granularity(sensitivity, sigma0, math.sqrt(m))
    else:
        g = check_granularity(granularity)
    if m == 1:
        effective = g * (math.floor(sensitivity / g) + 1)
    else:  # round up: the bound must not shrink by rounding
        effective = math.nextafter(g * (sensitivity / g + math.sqrt(m)) * (1 + 2.0**-50),
                                   math.inf)
    sigma = gaussian_sigma(effective, epsilon, delta, analytic)
    sigma_lattice = sigma / g  # exact: g is a power of two
    if sigma_lattice > 2.0**52:
        raise ValueError(
            f"granularity={g!r} is too fine for this noise ({sigma_lattice:.3g} lattice units "
            "> 2^52); use a coarser granularity or leave the default."
        )
    return LatticeNoise(
        mechanism="gaussian",
        epsilon=epsilon,
        delta=delta,
        sensitivity=sensitivity,
        changed_entries=m,
        granularity=g,
        effective_sensitivity=effective,
        lattice_scale=sigma_lattice,
        scale=sigma,
        variance=g * g * discrete_gaussian_variance(sigma_lattice),
    )


# --------------------------------------------------------------------------- mechanisms
def _warn_if_inflated(plan: LatticeNoise, explicit: bool) -> None:
    extra = plan.effective_sensitivity / plan.sensitivity - 1.0
    if explicit and extra > _INFLATION_WARNING:
        warnings.warn(
            f"granularity={plan.granularity!r} raises the effective sensitivity from "
            f"{plan.sensitivity!r} to {plan.effective_sensitivity!r} (+{100 * extra:.0f} %: "
            f"rounding can move each of {plan.changed_entries} changing entries by up to one "
            "lattice step), and the noise grows accordingly. Use a finer granularity (or the "
            "default), or changed_entries=k if at most k entries can differ between "
            "neighbouring datasets (1 for a scalar, a histogram, or separate releases).",
            stacklevel=3,
        )


def _release_on_lattice(arr: np.ndarray, noise: np.ndarray, g: float, scalar: bool):
    with np.errstate(over="ignore"):
        k = np.rint(arr / g)  # exact: division by a power of two, then rounding to an integer
    if not np.isfinite(k).all():
        raise ValueError(
            f"values are too large for granularity={g!r} (value/granularity overflows); "
            "use a coarser granularity."
        )
    if noise.size and int(np.abs(noise).max()) >= 1 << 53:
        raise OverflowError("integer noise beyond 2^53 (probability < e^-100).")
    # k·g and noise·g are exact doubles, so their rounded sum is the double nearest to the
    # lattice point (k + noise)·g: a function of the noisy integer alone.
    out = k * g
    out += noise.astype(np.float64) * g
    return float(out) if scalar else out


def laplace_mechanism(values, sensitivity, epsilon, rng=None, granularity=None, *,
                      changed_entries=None):
    """ε-DP release of ``values`` (a query answer with L1 sensitivity ``sensitivity``).

    Output g·(round(values/g) + Z), Z ~ discrete Laplace with scale D/ε, D = ⌊Δ/g⌋ + m the
    lattice sensitivity including rounding (see the module docstring). ``values``: a number
    or an array (one release per entry; shape kept). ``rng``: None = cryptographically secure,
    an int seed or numpy Generator for reproducible runs. ``granularity``: a power of two
    (default: 2^-20·min(Δ, Δ/ε)/m rounded down to a power of two). ``changed_entries``: how
    many entries can change between neighbouring datasets (default: all).

    Returns a float for a scalar input, else a float64 array; every output is an exact
    multiple of the granularity. Noise variance: ``laplace_noise_plan(...).variance``.
    """
    arr = check_finite_array(values, "values")
    m = _changed(changed_entries, arr.size)
    plan = laplace_noise_plan(sensitivity, epsilon, m, granularity)
    _warn_if_inflated(plan, granularity is not None)
    noise = discrete_laplace(plan.lattice_scale, arr.shape, rng)
    return _release_on_lattice(arr, noise, plan.granularity, arr.ndim == 0)


def gaussian_mechanism(values, sensitivity, epsilon, delta, rng=None, analytic: bool = True,
                       granularity=None, *, changed_entries=None):
    """(ε, δ)-DP release of ``values`` (a query answer with L2 sensitivity ``sensitivity``).

    Output g·(round(values/g) + Z), Z ~ discrete Gaussian N_ℤ(0, (σ/g)²) with σ from
    :func:`.analytic_gaussian_sigma` (``analytic=True``, any ε) or
    :func:`.classic_gaussian_sigma` (ε < 1 only) for the effective sensitivity after rounding.
    δ must be in (0, 1). Other arguments and the return value as for
    :func:`laplace_mechanism`; see the module docstring for the discrete-vs-continuous caveat.
    """
    arr = check_finite_array(values, "values")
    m = _changed(changed_entries, arr.size)
    plan = gaussian_noise_plan(sensitivity, epsilon, delta, m, analytic, granularity)
    _warn_if_inflated(plan, granularity is not None)
    noise = discrete_gaussian(plan.lattice_scale, arr.shape, rng)
    return _release_on_lattice(arr, noise, plan.granularity, arr.ndim == 0)
