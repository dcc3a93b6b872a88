"""The floating-point attack on a naive Laplace release (Mironov, CCS 2012).

A programmer who writes ``x + rng.laplace(0.0, 1/ε)`` with numpy gets a mechanism that is
ε-DP *on paper* (real numbers) but not on a computer: numpy draws a uniform U from the grid
2^-53·{1, …, 2^53 - 1} and returns a double computed from it with rounded operations, so each
input x can produce only a sparse, input-dependent set of doubles ("a porous output set").
An attacker who sees one output y asks "could x0 have produced exactly this double? could x1?"
and, for a large fraction of outputs, only one of them could: the output pins the input down
with certainty, which no ε-DP mechanism allows (P[y | x1] > 0 = e^ε·P[y | x0]).

What numpy does (verified in numpy's source, ``numpy/random/src/distributions/distributions.c``
and the bit generators' ``next_double``, numpy 2.x ``Generator`` API)::

    U = (next_uint64() >> 11) * (1.0 / 9007199254740992.0)     # k·2^-53, k ∈ {0, …, 2^53-1}
    if U >= 0.5:  noise = loc - scale * log(2.0 - U - U)       # C doubles, C's log (libm)
    elif U > 0.0: noise = loc + scale * log(U + U)
    else:         draw again                                   # U == 0 is rejected

and ``x + rng.laplace(0.0, scale, n)`` then adds x in float64. :func:`could_produce` replays
exactly these operations for the few grid points U whose real-valued output lies near y, and
says whether one of them reproduces y bit for bit.

Two facts about this platform matter for an exact replay, and both are checked by the tests:

- ``np.log`` is *not* C's ``log``: numpy's vectorized float64 log (SIMD) differs from libm's in
  the last bit for a few per mille of arguments, while ``math.log`` calls the same libm ``log``
  that numpy's C sampler calls. The replay therefore evaluates ``math.log`` (vectorized with
  ``np.frompyfunc``, ~0.2 µs per candidate) on the candidates.
- ``loc = 0.0``: then ``loc ± scale·L`` is just the rounded product, so it does not matter
  whether the C compiler contracted ``loc - scale * L`` into a fused multiply-add.

The safe counterpart, :func:`pets_helpers.dp.laplace_mechanism`, samples an exact discrete
Laplace on a lattice granularity·ℤ: every lattice point is a possible output of every lattice
input, so the same attack finds no identifying outputs (:func:`lattice_support`) and only the
likelihood-ratio guess is left, whose advantage ε-DP bounds by e^ε.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..validation import check_epsilon, check_positive_int, check_probability, check_real

__all__ = [
    "AttackResult",
    "attack_advantage",
    "could_produce",
    "distinguishing_attack",
    "lattice_support",
    "naive_laplace_release",
    "naive_release",
    "porous_fraction",
    "safe_release",
]

_TWO52 = float(1 << 52)
_TWO53 = 1 << 53
_INV_TWO53 = 1.0 / 9007199254740992.0  # 2^-53, the constant numpy's next_double multiplies by
# Margin (in grid steps of U) added on each side of the real-valued preimage; see _k_window.
_MARGIN = 4
# A single output whose preimage window holds more grid points than this is refused: it only
# happens when |x| is huge compared with the scale (then ulp(y) covers many draws of U).
_MAX_WINDOW = 1 << 16
# Candidates replayed per vectorized chunk (bounds the memory: ~100 bytes each).
_CHUNK_CANDIDATES = 1 << 20

_libm_log = np.frompyfunc(math.log, 1, 1)


# --------------------------------------------------------------------------- validation


def _check_scale(scale, name: str = "scale") -> float:
    return check_real(scale, name, low=0, closed="neither",
                      hint="It is the Laplace scale sensitivity/ε.")


def _check_input(x, name: str = "x") -> float:
    return check_real(x, name, hint="It is the true query answer.")


def _check_pair(x0, x1) -> tuple[float, float]:
    x0, x1 = _check_input(x0, "x0"), _check_input(x1, "x1")
    if x0 == x1:
        raise ValueError(
            f"x0 and x1 must differ (the two neighbouring answers to tell apart), got both {x0}."
        )
    return x0, x1


def _check_outputs(outputs, name: str = "outputs") -> np.ndarray:
    arr = np.asarray(outputs)
    if arr.dtype.kind not in "fiu" or arr.dtype.kind == "f" and arr.dtype != np.float64:
        raise TypeError(
            f"{name} must be float64 releases (as the mechanism returned them), got dtype "
            f"{arr.dtype}; converting them first would change their bits."
        )
    arr = arr.astype(np.float64, copy=False)
    if np.isnan(arr).any():
        i = int(np.flatnonzero(np.isnan(arr).ravel())[0])
        raise ValueError(f"{name} contains nan at position {i}; a release is never nan.")
    return arr


def _as_generator(rng) -> np.random.Generator:
    """The naive programmer's randomness: a numpy Generator (a seed or None makes one)."""
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(
        "rng must be None, an int seed or a numpy.random.Generator (the naive release calls "
        f"Generator.laplace), got {type(rng).__name__}."
    )


# --------------------------------------------------------------------------- the naive release


def naive_laplace_release(x, scale, rng=None, size=None):
    """What a naive programmer writes: ``x + rng.laplace(0.0, scale, size)``.

    ``x`` is the true answer (one number), ``scale`` = sensitivity/ε, ``rng`` a numpy
    ``Generator`` (or a seed), ``size`` the number of independent releases (None: one float).
    Do not use this for real releases: see :func:`could_produce` for why it is not ε-DP.
    """
    x, scale = _check_input(x), _check_scale(scale)
    gen = _as_generator(rng)
    if size is None:
        return float(x + gen.laplace(0.0, scale))
    return x + gen.laplace(0.0, scale, size)


def naive_release(epsilon, sensitivity=1.0) -> Callable:
    """The naive mechanism as ``release(x, n, rng)`` (n releases), for :func:`attack_advantage`.

    The returned function carries ``scale`` and ``support`` (its exact support test,
    :func:`could_produce` at that scale).
    """
    scale = _check_scale(sensitivity, "sensitivity") / check_epsilon(epsilon)

    def release(x, n, rng):
        return naive_laplace_release(x, scale, rng, size=n)

    def support(y, x):
        return could_produce(y, x, scale)

    release.scale, release.support = scale, support
    return release


def safe_release(epsilon, sensitivity=1.0, granularity=None) -> Callable:
    """:func:`pets_helpers.dp.laplace_mechanism` as ``release(x, n, rng)`` (n releases).

    The n outputs are n separate releases of the scalar x (``changed_entries=1``). The returned
    function carries ``granularity`` (the lattice actually used; the default is the dp module's)
    and ``support`` (:func:`lattice_support` of that lattice).
    """
    from ..dp import laplace_mechanism, laplace_noise_plan

    epsilon = check_epsilon(epsilon)
    sensitivity = _check_scale(sensitivity, "sensitivity")
    g = laplace_noise_plan(sensitivity, epsilon, 1, granularity).granularity

    def release(x, n, rng):
        values = np.full(n, _check_input(x), dtype=np.float64)
        out = laplace_mechanism(values, sensitivity, epsilon, rng=rng, granularity=g,
                                changed_entries=1)
        return np.asarray(out, dtype=np.float64)

    release.granularity, release.support = g, lattice_support(g)
    return release


# --------------------------------------------------------------------------- exact replay


def _replay_noise(k: np.ndarray, scale: float) -> np.ndarray:
    """numpy's Laplace noise (loc = 0) for U = k·2^-53, with C's operations in C's order."""
    u = k.astype(np.float64) * _INV_TWO53  # exact: k < 2^53
    upper = u >= 0.5
    arg = np.where(upper, (2.0 - u) - u, u + u)
    log = _libm_log(arg).astype(np.float64)
    return np.where(upper, 0.0 - scale * log, 0.0 + scale * log)


def _grid_index(noise: np.ndarray, scale: float) -> np.ndarray:
    """Real-valued inverse of the sampler: the k (U = k·2^-53) whose exact output is ``noise``.

    noise < 0 comes from U < 0.5 with noise = scale·log(2U), so k = 2^52·e^(noise/scale);
    noise ≥ 0 from U ≥ 0.5 with noise = -scale·log(2 - 2U), so
    2^53 - k = 2^52·e^(-noise/scale).
    Returned as a float, clipped to [0, 2^53].
    """
    with np.errstate(over="ignore"):
        t = np.exp(-np.abs(noise) / scale) * _TWO52  # relative error ~1e-16
    return np.clip(np.where(noise < 0, t, float(_TWO53) - t), 0.0, float(_TWO53))


def _k_window(y: np.ndarray, x: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive range [k_lo, k_hi] of grid indices that can possibly give fl(x + noise) = y.

    If fl(x + N) = y then |x + N - y| ≤ ulp(y)/2, so N lies within ulp(y)/2 of y - x. With
    M = max(|x|, |y|), computing y - x errs by ≤ ulp(M) and each of base ± d by ≤ 2·ulp(M),
    so [base - d, base + d] with d = 4·ulp(M) contains every such N. The real-valued inverse
    :func:`_grid_index` maps that interval to a k interval, widened by _MARGIN = 4 grid steps
    on each side to cover how far the *computed* noise of a draw k and the computed inverse
    can sit from the exact ones, in units of k:

    - log and the product with scale are each rounded (≤ 1 ulp and ½ ulp of the noise N);
      since dk/dN = k/scale (or (2^53-k)/scale) this moves k by
      ≤ 2^-51·2^52·t·e^-t ≤ 2/e ≈ 0.74 (t = |N|/scale);
    - for U ≥ 0.5, 2.0 - U is rounded to the 2^-52 grid (the subtraction of U after it is then
      exact), so the argument of log is off by ≤ 2^-53: half a grid step of k;
    - the inverse in floats: exp (~1 ulp) and the rounded argument |N|/scale give
      ≤ 2^52·e^-t·(2^-52 + t·2^-53) ≤ 1.2 steps, and 2^53 - t another ½ step.

    That totals < 3 steps, so a margin of 4 covers every k that can produce y. (The tests
    compare with brute force over all draws in several regions, and a margin of 0 fails them.)
    """
    d = 4.0 * np.spacing(np.maximum(np.abs(y), abs(x)))
    base = y - x
    lo = np.floor(_grid_index(base - d, scale)) - _MARGIN
    hi = np.ceil(_grid_index(base + d, scale)) + _MARGIN
    k_lo = np.maximum(lo, 1.0).astype(np.int64)  # U = 0 is rejected by numpy
    k_hi = np.minimum(hi, float(_TWO53 - 1)).astype(np.int64)
    return k_lo, k_hi


def could_produce(y, x, scale) -> np.ndarray:
    """Whether each output ``y`` can come out of ``naive_laplace_release(x, scale, rng)``.

    Exact and bit for bit: for each y, every grid point U = k·2^-53 whose real-valued output is
    within a few grid steps of y is replayed with numpy's C operations (see the module
    docstring), and y is reachable iff one of them reproduces it exactly. Vectorized over y
    (10–15 candidates per output). Returns a bool array of y's shape (a bool for a scalar).
    """
    x, scale = _check_input(x), _check_scale(scale)
    arr = _check_outputs(y, "y")
    flat = arr.ravel()
    reachable = np.zeros(flat.size, dtype=bool)
    finite = np.flatnonzero(np.isfinite(flat))  # ±inf: never produced (|noise| ≤ 36.8·scale)
    if finite.size:
        k_lo, k_hi = _k_window(flat[finite], x, scale)
        counts = np.maximum(k_hi - k_lo + 1, 0)
        if counts.max() > _MAX_WINDOW:
            raise ValueError(
                f"|x| = {abs(x)} is too large for scale = {scale}: one output's rounding "
                f"interval holds > {_MAX_WINDOW} draws of U. Shift the inputs towards 0 "
                "(the attack is translation-invariant in spirit) or use a larger scale."
            )
        ends = np.cumsum(counts)
        start = 0
        while start < finite.size:  # chunks of ≤ _CHUNK_CANDIDATES candidates
            before = ends[start - 1] if start else 0
            stop = max(int(np.searchsorted(ends, before + _CHUNK_CANDIDATES, "right")), start + 1)
            c = counts[start:stop]
            owner = np.repeat(np.arange(start, stop), c)
            offset = np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c)
            k = k_lo[owner] + offset
            hit = (x + _replay_noise(k, scale)) == flat[finite[owner]]
            reachable[finite[owner[hit]]] = True
            start = stop
    out = reachable.reshape(arr.shape)
    return bool(out) if out.ndim == 0 else out


def lattice_support(granularity) -> Callable:
    """Support test ``support(y, x)`` of a mechanism whose outputs are the lattice g·ℤ.

    For the exact discrete Laplace every lattice point has positive probability from every
    input, so y is possible iff y is an exact multiple of g, whatever x is.
    """
    g = _check_scale(granularity, "granularity")

    def support(y, x):
        arr = _check_outputs(y, "y")
        with np.errstate(invalid="ignore"):
            q = arr / g  # exact for a power-of-two g (barring underflow)
            return np.isfinite(arr) & (q == np.round(q))

    support.granularity = g
    return support


def porous_fraction(x, scale, low, high, n: int = 100_000, rng=None) -> float:
    """Fraction of the doubles in [low, high] that ``naive_laplace_release(x, scale)`` can output.

    The doubles are enumerated exactly when there are at most ``n`` of them, otherwise ``n`` of
    them are drawn uniformly (by their bit patterns; the interval must not contain 0 then).
    An ε-DP mechanism over the reals would reach them all; the naive one leaves "holes".
    """
    x, scale = _check_input(x), _check_scale(scale)
    low, high = _check_input(low, "low"), _check_input(high, "high")
    n = check_positive_int(n, "n")
    if not low < high:
        raise ValueError(f"need low < high, got low={low}, high={high}.")
    if low < 0 < high:
        raise ValueError("the interval must not contain 0 (doubles on one side of 0 only).")
    sign = -1.0 if high <= 0 else 1.0
    a, b = sorted((abs(low), abs(high)))
    ia, ib = (int(np.float64(v).view(np.int64)) for v in (a, b))  # monotone for doubles ≥ 0
    count = ib - ia + 1
    if count <= n:
        bits = np.arange(ia, ib + 1, dtype=np.int64)
    else:
        bits = _as_generator(rng).integers(ia, ib + 1, size=n, dtype=np.int64)
    doubles = sign * bits.view(np.float64)
    return float(np.mean(could_produce(doubles, x, scale)))


# --------------------------------------------------------------------------- the attack


_AMBIGUOUS = ("likelihood", "coin", "x0")


def _check_ambiguous(ambiguous) -> str:
    if ambiguous not in _AMBIGUOUS:
        raise ValueError(f"ambiguous must be one of {_AMBIGUOUS}, got {ambiguous!r}.")
    return ambiguous


def _attack(outputs, x0, x1, support, rng, ambiguous):
    """(guess_is_x1, reachable_from_x0, reachable_from_x1) per output; see
    :func:`distinguishing_attack`."""
    y = _check_outputs(outputs)
    r0, r1 = np.asarray(support(y, x0), bool), np.asarray(support(y, x1), bool)
    only0, only1 = r0 & ~r1, r1 & ~r0
    coin = rng.random(y.shape) < 0.5
    if ambiguous == "likelihood":
        # Likelihood ratio of the Laplace density (same scale for both inputs): the nearer
        # input; exact ties by the coin.
        d0, d1 = np.abs(y - x0), np.abs(y - x1)
        fallback = np.where(d1 < d0, True, np.where(d1 > d0, False, coin))
    elif ambiguous == "coin":
        fallback = coin
    else:
        fallback = np.zeros(y.shape, dtype=bool)
    guess1 = np.where(only1, True, np.where(only0, False, fallback))
    return guess1, r0, r1


def distinguishing_attack(
    outputs, x0, x1, scale, rng=None, support=None, ambiguous: str = "likelihood"
) -> np.ndarray:
    """Guess, for each output, which of the neighbouring inputs ``x0``, ``x1`` produced it.

    - reachable from x1 only (per ``support``): guess x1, with certainty;
    - reachable from x0 only: guess x0, with certainty;
    - otherwise (both, or neither), by ``ambiguous``:
      ``"likelihood"`` (default): the likelihood-ratio guess for the real Laplace distribution,
      i.e. the nearer of x0, x1 (exact ties: a fair coin from ``rng``). It is the best guess
      against the ideal mechanism, so against a safe mechanism the attack is simply the
      optimal one, and any advantage beyond it comes from the floating-point holes;
      ``"coin"``: a fair coin;
      ``"x0"``: guess x0, so x1 is guessed only when certain. Against the naive release this
      makes P[guess = x1 | x0] exactly 0 while P[guess = x1 | x1] stays large: the ratio is
      infinite, the starkest refutation of ε-DP.

    ``support(y, x) -> bool array`` is the attacker's exact support test; by default the naive
    numpy release with this ``scale`` (:func:`could_produce`). Returns the guessed inputs
    (an array of x0/x1 values, of the outputs' shape).
    """
    x0, x1 = _check_pair(x0, x1)
    scale = _check_scale(scale)
    ambiguous = _check_ambiguous(ambiguous)
    if support is None:
        def support(y, x):
            return could_produce(y, x, scale)
    guess1, _, _ = _attack(outputs, x0, x1, support, _as_generator(rng), ambiguous)
    return np.where(guess1, x1, x0)


@dataclass(frozen=True)
class AttackResult:
    """Result of :func:`attack_advantage` (``n`` releases from each input)."""

    n: int
    epsilon: float  # the claimed ε
    tpr: float  # P[guess = x1 | x1]
    fpr: float  # P[guess = x1 | x0]
    ratio: float  # tpr / fpr; ε-DP requires it (and (1 - fpr)/(1 - tpr)) ≤ e^ε
    exp_epsilon: float  # e^ε
    identifying_fraction: float  # outputs reachable from exactly one input (pin it down)
    unexplained_fraction: float  # outputs reachable from neither input (should be 0)
    epsilon_lower_bound: float  # with confidence 1 - alpha, the mechanism's true ε is ≥ this
    violates: bool  # epsilon_lower_bound > ε: ε-DP is refuted (false alarm ≤ alpha)
    alpha: float

    def __str__(self) -> str:
        verdict = "ε-DP REFUTED" if self.violates else "no violation detected"
        return (
            f"n={self.n} per input: P[guess x1|x1]={self.tpr:.4f}, P[guess x1|x0]={self.fpr:.4f}, "
            f"ratio={self.ratio:.3g} vs e^ε={self.exp_epsilon:.3g}; "
            f"{self.identifying_fraction:.1%} of outputs identify the input; "
            f"ε ≥ {self.epsilon_lower_bound:.3g} with confidence 1-{self.alpha:g} ({verdict})"
        )

    @property
    def empirical_epsilon(self) -> float:
        """ln of the larger observed ratio (point estimate of the privacy loss of the attack)."""
        other = (1 - self.fpr) / (1 - self.tpr) if self.tpr < 1 else math.inf
        best = max(self.ratio, other)
        return math.log(best) if best > 0 else -math.inf


def _clopper_pearson(k: int, n: int, a: float) -> tuple[float, float]:
    """One-sided exact binomial bounds: P[p < lower] ≤ a and P[p > upper] ≤ a, each."""
    from scipy import stats

    lower = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    upper = 1.0 if k == n else float(stats.beta.isf(a, k + 1, n - k))
    return lower, upper


def attack_advantage(
    release,
    x0,
    x1,
    epsilon,
    n,
    rng=None,
    *,
    support=None,
    ambiguous: str = "likelihood",
    alpha: float = 1e-6,
) -> AttackResult:
    """Draw n releases from each input with ``release(x, n, rng)`` and attack every output.

    ``x0`` and ``x1`` are the answers on two neighbouring datasets, so the sensitivity is
    |x1 - x0| and the claimed mechanism has scale |x1 - x0|/ε. ``support(y, x)`` is the
    attacker's exact support test (default: ``release.support`` if the release has one, as
    :func:`naive_release` and :func:`safe_release` do, else :func:`could_produce` for the naive
    numpy release at that scale). ``ambiguous``: the guess for outputs possible from both inputs,
    as in :func:`distinguishing_attack`. ``rng``: a numpy Generator or seed (None: fresh
    entropy), used for the releases and the attacker's coins.

    If the release's scale is not |x1 - x0|/ε, the default support test is the wrong one:
    ``unexplained_fraction`` > 0 (outputs impossible from both inputs) gives that away.

    ε-DP requires P[guess = x1 | x1] ≤ e^ε·P[guess = x1 | x0], and the same for guess = x0.
    ``violates`` is True when exact one-sided Clopper–Pearson bounds (level alpha/2 for each of
    the two proportions; both ratios use the same two bounds) show a ratio above e^ε, so a
    truly ε-DP mechanism is flagged with probability ≤ ``alpha``.
    """
    if not callable(release):
        raise TypeError("release must be a function release(x, n, rng) returning n outputs.")
    x0, x1 = _check_pair(x0, x1)
    epsilon = check_epsilon(epsilon)
    n = check_positive_int(n, "n")
    ambiguous = _check_ambiguous(ambiguous)
    alpha = check_probability(alpha, "alpha")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}.")
    gen = _as_generator(rng)
    scale = abs(x1 - x0) / epsilon
    if support is None:
        support = getattr(release, "support", None)
    if support is None:
        def support(y, x):
            return could_produce(y, x, scale)

    results = {}
    for x in (x0, x1):
        y = np.asarray(release(x, n, gen))
        if y.shape != (n,):
            raise ValueError(f"release(x, n, rng) must return n = {n} outputs, got {y.shape}.")
        results[x] = _attack(y, x0, x1, support, gen, ambiguous)
    g0, r00, r01 = results[x0]
    g1, r10, r11 = results[x1]
    k1, k0 = int(g1.sum()), int(g0.sum())  # guesses of x1 given x1, given x0
    tpr, fpr = k1 / n, k0 / n
    ratio = tpr / fpr if fpr > 0 else (math.inf if tpr > 0 else 1.0)
    identifying = (int((r00 ^ r01).sum()) + int((r10 ^ r11).sum())) / (2 * n)
    unexplained = (int((~r00 & ~r01).sum()) + int((~r10 & ~r11).sum())) / (2 * n)
    lo1, _ = _clopper_pearson(k1, n, alpha / 2)
    _, up0 = _clopper_pearson(k0, n, alpha / 2)
    bounds = []
    if up0 > 0 and lo1 > 0:
        bounds.append(math.log(lo1 / up0))
    if lo1 < 1 and up0 < 1:
        bounds.append(math.log((1 - up0) / (1 - lo1)))
    eps_lb = max(bounds) if bounds else 0.0
    return AttackResult(
        n=n,
        epsilon=epsilon,
        tpr=tpr,
        fpr=fpr,
        ratio=ratio,
        exp_epsilon=math.exp(epsilon),
        identifying_fraction=identifying,
        unexplained_fraction=unexplained,
        epsilon_lower_bound=max(eps_lb, 0.0),
        violates=eps_lb > epsilon,
        alpha=alpha,
    )
