"""Exact (arbitrary-precision) decisions for the rare draws the fast samplers cannot settle.

The vectorized samplers in :mod:`.samplers` compare a uniform random number V with a
transcendental threshold such as e^(-γ) in float64, with a safety margin that covers every
floating-point error. When V falls inside that margin (at most about 1 draw in 10⁷, or when
the first 53 random bits of V are all zero) the draw is handed to this module, which
settles it *exactly*:

- V is a :class:`LazyUniform`: its first ``bits`` binary digits are known (V lies in
  [num/2^bits, (num+1)/2^bits)) and more digits are drawn from the generator only when needed,
  so V is a genuine uniform real number on [0, 1) of which we read as many digits as we like;
- e^(-γ) for a rational γ (a :class:`fractions.Fraction`) is enclosed in an interval with
  rigorous bounds, from Python's :mod:`decimal`, whose ``exp`` is correctly rounded;
- if the two intervals overlap, V gets 62 more random bits and e^(-γ) 20 more digits, until
  they are separated. For rational γ > 0, e^(-γ) is irrational (Lindemann), so V ≠ e^(-γ)
  almost surely and the loop stops with probability 1 (after one round in practice).

Every decision is therefore exactly P[V < e^(-γ)] = e^(-γ), with no floating-point bias.
"""

from __future__ import annotations

import decimal
import math
from fractions import Fraction

_REFINE_BITS = 62  # random bits added per refinement (rng.integers needs high ≤ 2^63)


class LazyUniform:
    """A uniform real V on [0, 1) known to its first ``bits`` binary digits: V ∈ [num, num+1)/2^bits."""

    __slots__ = ("num", "bits")

    def __init__(self, num: int, bits: int) -> None:
        num, bits = int(num), int(bits)
        if bits < 0 or not 0 <= num < (1 << bits):
            raise ValueError(f"need 0 ≤ num < 2^bits, got num={num}, bits={bits}.")
        self.num, self.bits = num, bits

    def refine(self, rng) -> None:
        """Read the next 62 binary digits of V from ``rng``."""
        extra = int(rng.integers(0, 1 << _REFINE_BITS))
        self.num = (self.num << _REFINE_BITS) | extra
        self.bits += _REFINE_BITS

    def lower(self) -> Fraction:
        return Fraction(self.num, 1 << self.bits)

    def upper(self) -> Fraction:
        return Fraction(self.num + 1, 1 << self.bits)


def exp_neg_bounds(gamma: Fraction, digits: int) -> tuple[Fraction, Fraction]:
    """Rationals lo < e^(-γ) < hi with relative width ≈ (γ+2)·10^(1-digits), for γ ≥ 0.

    γ is first rounded to ``digits`` significant decimal digits (relative error ≤ ½·10^(1-p)),
    which changes e^(-γ) by a factor within e^(±γ·½·10^(1-p)); then ``Decimal.exp`` rounds
    correctly (relative error ≤ ½·10^(1-p)). ``rel = (γ+2)·10^(1-p)`` bounds the product of
    both (the caller keeps it below 1/2 by choosing enough digits).
    """
    with decimal.localcontext() as ctx:
        ctx.prec = digits
        ctx.Emin, ctx.Emax = -(10**9), 10**9
        approx = (-(decimal.Decimal(gamma.numerator) / decimal.Decimal(gamma.denominator))).exp()
    value = Fraction(approx)
    rel = (math.ceil(gamma) + 2) * Fraction(1, 10 ** (digits - 1))
    return value * (1 - rel), value * (1 + rel)


def _starting_digits(gamma: Fraction) -> int:
    return 40 + len(str(math.ceil(gamma)))


def less_than_exp_neg(u: LazyUniform, gamma: Fraction, rng) -> bool:
    """Decide V < e^(-γ) exactly (γ ≥ 0 rational), reading more digits of V as needed."""
    gamma = Fraction(gamma)
    if gamma < 0:
        raise ValueError(f"gamma must be ≥ 0, got {gamma}.")
    if gamma == 0:  # e^0 = 1 > V
        return True
    digits = _starting_digits(gamma)
    while True:
        lo, hi = exp_neg_bounds(gamma, digits)
        if u.upper() <= lo:
            return True
        if u.lower() >= hi:
            return False
        u.refine(rng)
        digits += 20


def geometric_from_uniform(u: LazyUniform, scale: Fraction, rng) -> int:
    """G = floor(-scale·ln V) exactly: the largest g ≥ 0 with V < e^(-g/scale).

    P[G ≥ g] = P[V < e^(-g/scale)] = e^(-g/scale): a geometric variable with parameter
    e^(-1/scale). V is refined until it has 53 significant bits, so that the float guess
    below is within a step or two of G, then the guess is corrected by exact comparisons.
    """
    scale = Fraction(scale)
    while u.num < (1 << 52):
        u.refine(rng)
    log_v = math.log(u.num + 0.5) - u.bits * math.log(2.0)
    g = max(0, math.floor(-float(scale) * log_v))
    while g > 0 and not less_than_exp_neg(u, g / scale, rng):
        g -= 1
    while less_than_exp_neg(u, (g + 1) / scale, rng):
        g += 1
    return g
