"""Exact, vectorized samplers of the discrete Laplace and discrete Gaussian distributions.

- :func:`discrete_laplace` (scale t): P[Z = k] = (1-q)/(1+q) · q^|k| on the integers, q = e^(-1/t).
- :func:`discrete_gaussian` (σ): P[Z = k] ∝ e^(-k²/(2σ²)) on the integers (Canonne, Kamath &
  Steinke, "The Discrete Gaussian for Differential Privacy", NeurIPS 2020, Algorithm 3).

These are the noise sources of :mod:`.mechanisms`: integer noise added to an integer (a value
rounded to a lattice) gives outputs on the lattice, whose distribution is *exactly* the one the
privacy proof is about — unlike ``x + rng.laplace(...)`` in floating point, whose set of
possible outputs depends on x (Mironov, CCS 2012).

Exactness argument
------------------
The parameters are taken as the exact rationals their float64 values represent, and every
random decision is an exact comparison of a uniform random *real* number V with a threshold:

1. Geometric G with P[G ≥ g] = q^g, by inversion: G = floor(-t·ln V), i.e. the largest g with
   V < e^(-g/t). The generator supplies the first 53 bits W of V, so V ∈ [W, W+1)·2^-53 and
   -t·ln V lies in an interval of width ≤ t/W. float64 computes that interval with a relative
   safety margin of 2^-44 (≈ 250 units in the last place: numpy's ``log``/``exp`` are accurate
   to a few units, IEEE arithmetic to half a unit; a test checks the margin against
   correctly-rounded decimal arithmetic). If the whole interval has one integer part, that is
   G, exactly. Otherwise (about 1 draw in 10⁷ near the largest such scale, far fewer for
   small scales) the draw goes to :mod:`._exact`, which reads more bits of the same V and
   decides with rigorous decimal bounds. So G is exactly geometric.
2. For scales t ≥ 2^21 the 53 bits would not pin G down often enough; there G = m·H + R with
   m = 2^s (s = ⌊log2 t⌋ - 20), H geometric with parameter q^m (scale t/m ∈ [2^20, 2^21), by
   step 1) and R ∈ {0, …, m-1} with P[R = r] ∝ q^r, independent — an exact identity. R is
   drawn uniform and kept with probability q^R = e^(-R/t) ≥ 1 - 2^-20 (rejection sampling);
   the keep-test reads 20 bits of a uniform V' and keeps at once unless they are all ones
   (V' < 1 - 2^-20 ≤ q^R), otherwise it is settled exactly by :mod:`._exact`.
3. Discrete Laplace Z = ±G with a fair sign bit, rejecting "-0" (CKS 2020, Algorithm 2).
4. Discrete Gaussian (CKS 2020, Algorithm 3): Y discrete Laplace with scale ⌊σ⌋+1, kept with
   probability e^(-γ), γ = (|Y| - σ²/t)²/(2σ²); the test V < e^(-γ) is done in float64 with a
   margin covering the rounding of γ and of ``exp``, and exactly (rational γ) when V falls in it.

Nothing is approximated. The argument rests on one assumption: numpy's float64 ``log`` and
``exp`` err by less than 2^-44 relative (they err by about 2^-52; tested against decimal). The
one failure mode, |G| ≥ 2^62 (probability < e^-1000 even at the largest allowed scale 2^52),
raises ``OverflowError`` instead of wrapping around.

Randomness comes from ``rng`` (see :func:`pets_helpers.randomness.resolve_rng`): None gives the
cryptographically secure default, an int seed or numpy Generator makes runs reproducible. Only
``rng.integers(low, high, size)`` is used, with power-of-two ranges (exactly uniform).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from ..randomness import resolve_rng
from ..validation import check_real
from . import _exact

MAX_SCALE = 2.0**52
"""Largest discrete Laplace scale / discrete Gaussian σ accepted (in lattice units)."""

_ETA = 2.0**-44  # relative safety margin of float64 evaluations of log / exp
_DIRECT_LIMIT = 2.0**21  # scales below this: inversion with one 53-bit uniform
_BLOCK_SPLIT = 20  # above: blocks of m = 2^s with t/m in [2^20, 2^21)
_TWO53 = 1 << 53
_INV_TWO53 = 2.0**-53
_OVERFLOW = 1 << 62


# --------------------------------------------------------------------------- validation
def _check_scale(scale, name: str) -> float:
    value = check_real(scale, name, low=0, closed="neither")
    if value > MAX_SCALE:
        raise ValueError(
            f"{name} = {scale!r} exceeds 2^52 lattice units; the lattice is needlessly fine — "
            "use a coarser granularity."
        )
    return value


def _check_size(size) -> tuple[tuple[int, ...], int]:
    shape = (size,) if np.ndim(size) == 0 else tuple(size)
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"size must be a non-negative integer or a tuple of them, got "
                            f"{size!r}.")
        if s < 0:
            raise ValueError(f"size must be a non-negative integer or a tuple of them, got {size!r}.")
    return tuple(int(s) for s in shape), int(np.prod(shape, dtype=np.int64))


# --------------------------------------------------------------------------- geometric
def _geometric_from_words(words: np.ndarray, scale: float, rng) -> np.ndarray:
    """Exact geometric draws G = floor(-scale·ln V), V's first 53 bits given by ``words``.

    ``scale`` < 2^21. Vectorized in float64 with a safety margin; undecided draws (and W = 0)
    are settled exactly by :func:`._exact.geometric_from_uniform` with the same V.
    """
    w = words.astype(np.float64)  # exact: words < 2^53
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.log(w * _INV_TWO53)  # ln of the lower end of V's interval (≤ 0; -inf for W=0)
        x *= -scale  # -scale·ln(W·2^-53): the upper end of -scale·ln V
        g = np.floor(x * (1.0 + _ETA))
        # V < (W+1)·2^-53 makes -scale·ln V > x - scale·ln(1 + 1/W) ≥ x - scale/W
        x *= 1.0 - _ETA
        x -= (scale * (1.0 + _ETA)) / w
        # settled iff lo ≥ floor(hi), i.e. one integer part for the whole interval (NaN for
        # W = 0 compares False)
        undecided = np.flatnonzero(~(x >= g))
    g[undecided] = 0.0
    out = g.astype(np.int64)
    if undecided.size:
        exact_scale = Fraction(scale)
        for i in undecided:
            u = _exact.LazyUniform(int(words[i]), 53)
            out[i] = _exact.geometric_from_uniform(u, exact_scale, rng)
    return out


def _reject_truncated(r: np.ndarray, top20: np.ndarray, scale: float, rng) -> np.ndarray:
    """Indices of R to reject: keep R with probability e^(-R/scale) ≥ 1 - 2^-20.

    V' is given by its top 20 bits; unless they are all ones, V' < 1 - 2^-20 ≤ e^(-R/scale)
    and R is kept at once. The rest (1 in 2^20) is decided exactly.
    """
    doubtful = np.flatnonzero(top20 == (1 << 20) - 1)
    reject = [
        i for i in doubtful
        if not _exact.less_than_exp_neg(
            _exact.LazyUniform((1 << 20) - 1, 20), Fraction(int(r[i])) / Fraction(scale), rng
        )
    ]
    return np.asarray(reject, dtype=np.int64)


def _signed_geometric(scale: float, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``count`` draws of (G, sign bit as int64 0/1); G = -1 marks a rejected block draw."""
    if scale < _DIRECT_LIMIT:
        words = np.asarray(rng.integers(0, 1 << 54, count), dtype=np.int64)
        return _geometric_from_words(words >> 1, scale, rng), words & 1
    s = int(math.floor(math.log2(scale))) - _BLOCK_SPLIT
    while scale / 2.0**s >= _DIRECT_LIMIT:  # guard the float log2 at exact powers of two
        s += 1
    while s > 0 and scale / 2.0**s < 2.0**_BLOCK_SPLIT:
        s -= 1
    m = 1 << s
    first = np.asarray(rng.integers(0, 1 << (s + 21), count), dtype=np.int64)
    g = _geometric_from_words(
        np.asarray(rng.integers(0, _TWO53, count), dtype=np.int64), scale / m, rng
    )
    if g.size and int(g.max()) >= _OVERFLOW // m:
        raise OverflowError("a geometric draw exceeded 2^62 (probability < e^-1000).")
    g *= m
    g += first & (m - 1)  # + R
    g[_reject_truncated(first & (m - 1), first >> (s + 1), scale, rng)] = -1
    return g, (first >> s) & 1


def discrete_laplace(scale, size, rng=None) -> np.ndarray:
    """Exact draws of the discrete Laplace distribution: P[Z = k] ∝ e^(-|k|/scale), k ∈ ℤ.

    Variance: :func:`discrete_laplace_variance`. ``scale`` is in integer units (0 < scale ≤
    2^52); ``size`` an int or shape; ``rng`` None (cryptographically secure), an int seed or a
    numpy Generator. Returns an int64 array of shape ``size``. See the module docstring for why
    the draws follow this distribution exactly.
    """
    scale = _check_scale(scale, "scale")
    shape, count = _check_size(size)
    rng = resolve_rng(rng)
    out = np.empty(count, dtype=np.int64)
    todo = None  # None: all entries (first round)
    while todo is None or todo.size:
        g, negative = _signed_geometric(scale, count if todo is None else todo.size, rng)
        redo = np.flatnonzero(g < negative)  # rejected block draws (G = -1) and "-0"
        np.negative(g, out=g, where=negative.astype(bool))
        if todo is None:
            out[:] = g
            todo = redo
        else:
            out[todo] = g
            todo = todo[redo]
    return out.reshape(shape)


# --------------------------------------------------------------------------- discrete Gaussian
def _gaussian_keep(y: np.ndarray, sigma: float, t: int, rng) -> np.ndarray:
    """Keep Y with probability e^(-γ), γ = (|Y| - σ²/t)²/(2σ²) (CKS 2020, Algorithm 3)."""
    a = np.abs(y).astype(np.float64)  # exact: |Y| < 2^53 in practice; checked below
    b = sigma * sigma / t
    gamma = (a - b) ** 2 / (2.0 * sigma * sigma)
    # rounding of b, of the difference, square and quotient: far below 2^-45 relative to
    # the magnitudes involved
    err = _ETA * (1.0 + gamma + (a + b) ** 2 / (sigma * sigma))
    p = np.exp(-gamma)
    p_lo = p * (1.0 - _ETA - err)
    # relative bounds fail once exp underflows: for γ > 600 (and err < 1/2), e^(-γ) < 2^-60
    p_hi = np.where(gamma > 600.0, 2.0**-60, p * (1.0 + 2.0 * _ETA + 2.0 * err))
    w = np.asarray(rng.integers(0, _TWO53, y.shape[0]), dtype=np.int64)
    wf = w.astype(np.float64)
    keep = (wf + 1.0) * _INV_TWO53 <= p_lo  # V < (W+1)·2^-53 ≤ p_lo < e^(-γ)
    drop = wf * _INV_TWO53 >= p_hi  # V ≥ W·2^-53 ≥ p_hi > e^(-γ)
    undecided = np.flatnonzero(~(keep | drop) | (a >= 2.0**53) | (err >= 0.5))
    if undecided.size:
        s = Fraction(sigma)
        for i in undecided:
            g = (abs(int(y[i])) - s * s / t) ** 2 / (2 * s * s)
            keep[i] = _exact.less_than_exp_neg(_exact.LazyUniform(int(w[i]), 53), g, rng)
    return keep


def discrete_gaussian(sigma, size, rng=None) -> np.ndarray:
    """Exact draws of the discrete Gaussian: P[Z = k] ∝ e^(-k²/(2σ²)), k ∈ ℤ.

    Canonne–Kamath–Steinke (NeurIPS 2020) Algorithm 3, vectorized: every entry draws a discrete
    Laplace proposal with scale ⌊σ⌋+1 and keeps it with probability
    e^(-(|Y| - σ²/t)²/(2σ²)); rejected entries are redrawn in rounds (about 1.3 rounds per entry
    for σ ≥ 1). Variance: :func:`discrete_gaussian_variance` (< σ², and = σ² to double precision
    for σ ≥ 3). ``sigma`` in integer units (0 < σ ≤ 2^52 - 1). Returns int64 of shape ``size``.
    """
    sigma = _check_scale(sigma, "sigma")
    shape, count = _check_size(size)
    rng = resolve_rng(rng)
    t = math.floor(sigma) + 1
    out = discrete_laplace(float(t), count, rng)  # first round: proposals for every entry
    todo = np.flatnonzero(~_gaussian_keep(out, sigma, t, rng))
    while todo.size:
        y = discrete_laplace(float(t), todo.size, rng)
        keep = _gaussian_keep(y, sigma, t, rng)
        out[todo[keep]] = y[keep]
        todo = todo[~keep]
    return out.reshape(shape)


# --------------------------------------------------------------------------- moments
def discrete_laplace_variance(scale) -> float:
    """Exact variance of :func:`discrete_laplace`: 2q/(1-q)², q = e^(-1/scale)."""
    scale = _check_scale(scale, "scale")
    one_minus_q = -math.expm1(-1.0 / scale)
    return 2.0 * math.exp(-1.0 / scale) / one_minus_q**2


def discrete_laplace_pmf(k, scale) -> np.ndarray:
    """P[Z = k] of :func:`discrete_laplace`: (1-q)/(1+q)·q^|k| (vectorized over k)."""
    scale = _check_scale(scale, "scale")
    q = math.exp(-1.0 / scale)
    k = np.abs(np.asarray(k, dtype=np.float64))
    return -math.expm1(-1.0 / scale) / (1.0 + q) * np.exp(-k / scale)


def discrete_gaussian_variance(sigma) -> float:
    """Exact variance of :func:`discrete_gaussian`: Σ k² e^(-k²/2σ²) / Σ e^(-k²/2σ²).

    Summed directly for σ < 10 (terms beyond |k| = 40σ + 10 are below 1e-300); for σ ≥ 10 the
    difference from σ² is below σ²·10^-800 (Poisson summation), so σ² is returned.
    """
    sigma = _check_scale(sigma, "sigma")
    if sigma >= 10.0:
        return sigma * sigma
    k = np.arange(0, int(40 * sigma) + 11, dtype=np.float64)
    w = np.exp(-(k * k) / (2.0 * sigma * sigma))
    w[1:] *= 2.0  # ±k
    return float((k * k * w).sum() / w.sum())


def discrete_gaussian_pmf(k, sigma) -> np.ndarray:
    """P[Z = k] of :func:`discrete_gaussian` (normalised numerically; vectorized over k)."""
    sigma = _check_scale(sigma, "sigma")
    if sigma >= 10.0:  # Poisson summation: Σ_k e^(-k²/2σ²) = σ√(2π) up to 10^-800 relative
        norm = sigma * math.sqrt(2.0 * math.pi)
    else:
        j = np.arange(-int(40 * sigma) - 10, int(40 * sigma) + 11, dtype=np.float64)
        norm = float(np.exp(-(j * j) / (2.0 * sigma * sigma)).sum())
    k = np.asarray(k, dtype=np.float64)
    return np.exp(-(k * k) / (2.0 * sigma * sigma)) / norm
