"""Tests of the exact discrete Laplace / discrete Gaussian samplers (pets_helpers.dp.samplers).

Statistical assertions are seeded; every tolerance is derived from theory so that a correct
sampler fails with probability ≤ 1e-6 (ALPHA): chi-square quantiles for goodness of fit,
normal (CLT) bounds for means and variances, Bonferroni-corrected within an assertion.
"""

from __future__ import annotations

import decimal
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from pets_helpers.dp import (
    discrete_gaussian,
    discrete_gaussian_pmf,
    discrete_gaussian_variance,
    discrete_laplace,
    discrete_laplace_pmf,
    discrete_laplace_variance,
)
from pets_helpers.dp import _exact, samplers
from pets_helpers.randomness import SecureGenerator

ALPHA = 1e-6
N = 200_000


def z_bound(k: int = 1) -> float:
    return float(stats.norm.isf(ALPHA / (2 * k)))


def chi2_ok(observed, expected, k: int = 1) -> bool:
    """Pearson goodness of fit at level ALPHA/k (bins with expected counts ≥ 20)."""
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    stat = float(((observed - expected) ** 2 / expected).sum())
    return stat <= stats.chi2.isf(ALPHA / k, observed.size - 1)


def binned_fit(samples, cdf, edges) -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected counts in bins (-inf, e0], (e0, e1], …, (e_last, inf)."""
    idx = np.searchsorted(edges, samples, side="left")
    observed = np.bincount(idx, minlength=len(edges) + 1)
    c = np.array([cdf(e) for e in edges])
    probs = np.diff(np.concatenate([[0.0], c, [1.0]]))
    return observed, probs * samples.size


def dlap_cdf(scale):
    """P[Z ≤ k] of the discrete Laplace with scale ``scale`` (k an integer)."""
    q = math.exp(-1.0 / scale)

    def cdf(k):
        k = int(k)
        return 1.0 - q ** (k + 1) / (1.0 + q) if k >= 0 else q ** (-k) / (1.0 + q)

    return cdf


def small_support_fit(samples, pmf, min_expected=20.0):
    """Observed/expected counts on single integers with enough mass, plus the two tails."""
    n = samples.size
    k = np.arange(-2000, 2001)
    p = pmf(k)
    keep = k[p * n >= min_expected]
    lo, hi = int(keep.min()), int(keep.max())
    ks = np.arange(lo, hi + 1)
    observed = [np.count_nonzero(samples < lo)]
    observed += list(np.bincount(samples[(samples >= lo) & (samples <= hi)] - lo,
                                 minlength=ks.size))
    observed.append(np.count_nonzero(samples > hi))
    probs = pmf(ks)
    tail_lo = float(pmf(np.arange(-20000, lo)).sum())
    tail_hi = float(pmf(np.arange(hi + 1, 20001)).sum())
    expected = np.concatenate([[tail_lo], probs, [tail_hi]]) * n
    ok = expected >= 1e-9  # drop empty tails (a symmetric distribution may have none)
    return np.asarray(observed)[ok], expected[ok]


# --------------------------------------------------------------------------- pmf / moments
@pytest.mark.parametrize("scale", [0.4, 1.0, 3.7, 25.0])
def test_discrete_laplace_pmf_small_scales(scale):
    z = discrete_laplace(scale, N, np.random.default_rng(11))
    assert z.dtype == np.int64 and z.shape == (N,)
    observed, expected = small_support_fit(z, lambda k: discrete_laplace_pmf(k, scale))
    assert chi2_ok(observed, expected)


@pytest.mark.parametrize("scale", [1.5 * 2**20, 2**21 + 0.25, 3.3 * 2**35, 2.0**50])
def test_discrete_laplace_pmf_large_scales(scale):
    # 2^21 and above use the block decomposition G = m·H + R; bins of the exact CDF
    z = discrete_laplace(scale, N, np.random.default_rng(12))
    edges = np.round(scale * np.array([-4, -2.5, -1.5, -1, -0.6, -0.3, -0.1, -0.02, 0, 0.02,
                                       0.1, 0.3, 0.6, 1, 1.5, 2.5, 4]))
    observed, expected = binned_fit(z, dlap_cdf(scale), edges)
    assert chi2_ok(observed, expected)
    # the low-order bits are uniform too (the block's R part): residues mod 16
    assert chi2_ok(np.bincount(z % 16, minlength=16), np.full(16, N / 16))


@pytest.mark.parametrize("sigma", [0.3, 0.9, 2.5, 12.0])
def test_discrete_gaussian_pmf_small_sigmas(sigma):
    z = discrete_gaussian(sigma, N, np.random.default_rng(13))
    observed, expected = small_support_fit(z, lambda k: discrete_gaussian_pmf(k, sigma))
    assert chi2_ok(observed, expected)


@pytest.mark.parametrize("sigma", [1000.5, 1.3 * 2**22, 2.0**40 + 3])
def test_discrete_gaussian_pmf_large_sigmas(sigma):
    # for σ ≥ 1000, P[Z ≤ k] = Φ((k + 1/2)/σ) up to O(σ^-2), far below the test's resolution
    z = discrete_gaussian(sigma, N, np.random.default_rng(14))
    edges = np.round(sigma * np.array([-3, -2, -1.5, -1, -0.5, -0.2, 0, 0.2, 0.5, 1, 1.5, 2, 3]))
    observed, expected = binned_fit(z, lambda k: stats.norm.cdf((k + 0.5) / sigma), edges)
    assert chi2_ok(observed, expected)


def _moment_bounds(pmf, support):
    p = pmf(support)
    var = float((support.astype(float) ** 2 * p).sum())
    fourth = float((support.astype(float) ** 4 * p).sum())
    return var, fourth


@pytest.mark.parametrize(
    "kind, param",
    [("laplace", 0.7), ("laplace", 6.0), ("laplace", 300.0), ("gaussian", 0.6),
     ("gaussian", 4.0), ("gaussian", 300.0)],
)
def test_mean_zero_and_exact_variance(kind, param):
    sampler = discrete_laplace if kind == "laplace" else discrete_gaussian
    pmf = discrete_laplace_pmf if kind == "laplace" else discrete_gaussian_pmf
    variance = discrete_laplace_variance(param) if kind == "laplace" \
        else discrete_gaussian_variance(param)
    support = np.arange(-int(60 * param) - 50, int(60 * param) + 51)
    var_sum, fourth = _moment_bounds(lambda k: pmf(k, param), support)
    assert variance == pytest.approx(var_sum, rel=1e-9)  # closed form = direct summation
    z = sampler(param, N, np.random.default_rng(15)).astype(np.float64)
    zb = z_bound(2)
    assert abs(z.mean()) <= zb * math.sqrt(variance / N)
    # sample second moment (mean known to be 0): sd = sqrt((μ4 - σ⁴)/N)
    assert abs((z**2).mean() - variance) <= zb * math.sqrt((fourth - variance**2) / N)


def test_discrete_gaussian_variance_below_sigma_squared():
    for sigma in [0.2, 0.5, 1.0]:  # beyond, the gap (≈ e^(-2π²σ²)) is below float64
        assert discrete_gaussian_variance(sigma) < sigma**2
    assert discrete_gaussian_variance(3.0) == pytest.approx(9.0, rel=1e-12)
    assert discrete_gaussian_variance(50.0) == 2500.0


def test_discrete_laplace_variance_formula_and_continuous_limit():
    t = 1000.0
    assert discrete_laplace_variance(t) == pytest.approx(2 * t * t, rel=1e-6)
    q = math.exp(-1 / 2.5)
    assert discrete_laplace_variance(2.5) == pytest.approx(2 * q / (1 - q) ** 2, rel=1e-14)


# --------------------------------------------------------------------------- exactness
def test_float_margin_covers_numpy_log_and_exp():
    # the fast path assumes numpy's log/exp are within 2^-44 relative of the truth; measure
    rng = np.random.default_rng(16)
    w = np.concatenate([rng.integers(1, 2**53, 3000), rng.integers(1, 2**20, 300),
                        2**53 - rng.integers(1, 2**20, 300)])
    logs = np.log(w.astype(float) * 2.0**-53)
    gammas = np.concatenate([rng.random(2000) * 5, rng.random(1000) * 700])
    exps = np.exp(-gammas)
    worst = 0.0
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        for wi, li in zip(w, logs):
            exact = (decimal.Decimal(int(wi)) / decimal.Decimal(2**53)).ln()
            worst = max(worst, abs(float((decimal.Decimal(li) - exact) / exact)))
        for gi, ei in zip(gammas, exps):
            exact = (-decimal.Decimal(gi)).exp()
            worst = max(worst, abs(float((decimal.Decimal(ei) - exact) / exact)))
    assert worst < 2.0**-50 < samplers._ETA / 16


@pytest.mark.parametrize("gamma", [Fraction(0), Fraction(1, 3), Fraction(1), Fraction(7, 2)])
def test_exact_bernoulli_exp_neg(gamma):
    rng = np.random.default_rng(17)
    trials = 6000
    hits = sum(_exact.less_than_exp_neg(_exact.LazyUniform(0, 0), gamma, rng)
               for _ in range(trials))
    p = math.exp(-float(gamma))
    lo, hi = stats.binom.ppf(ALPHA / 2, trials, p), stats.binom.isf(ALPHA / 2, trials, p)
    assert lo <= hits <= hi


def test_exact_geometric_matches_its_law():
    rng = np.random.default_rng(18)
    scale = Fraction(5, 2)
    draws = np.array([_exact.geometric_from_uniform(_exact.LazyUniform(0, 0), scale, rng)
                      for _ in range(4000)])
    q = math.exp(-1 / 2.5)
    ks = np.arange(0, 9)
    observed = np.append(np.bincount(np.minimum(draws, 9), minlength=10)[:9],
                         np.count_nonzero(draws >= 9))
    expected = np.append((1 - q) * q**ks, q**9) * draws.size
    assert chi2_ok(observed, expected)


def test_exp_neg_bounds_enclose_the_truth():
    for gamma in [Fraction(1, 10**6), Fraction(1, 3), Fraction(123, 7), Fraction(800)]:
        lo, hi = _exact.exp_neg_bounds(gamma, 50)
        with decimal.localcontext() as ctx:
            ctx.prec = 80
            truth = Fraction(
                (-(decimal.Decimal(gamma.numerator) / decimal.Decimal(gamma.denominator))).exp()
            )
        assert lo < truth < hi and (hi - lo) / truth < Fraction(1, 10**45)


@pytest.mark.parametrize("kind", ["laplace", "gaussian"])
def test_fallback_path_alone_gives_the_exact_law(kind, monkeypatch):
    # a margin of 1/2 sends every draw to the exact decimal path: the law must not change
    monkeypatch.setattr(samplers, "_ETA", 0.5)
    rng = np.random.default_rng(19)
    if kind == "laplace":
        z = discrete_laplace(2.0, 3000, rng)
        pmf = lambda k: discrete_laplace_pmf(k, 2.0)  # noqa: E731
    else:
        z = discrete_gaussian(1.5, 1500, rng)
        pmf = lambda k: discrete_gaussian_pmf(k, 1.5)  # noqa: E731
    observed, expected = small_support_fit(z, pmf)
    assert chi2_ok(observed, expected)


def test_block_rejection_fallback(monkeypatch):
    # force the rare "top 20 bits all ones" branch of the block method on every draw
    real = samplers._reject_truncated

    def forced(r, top20, scale, rng):
        return real(r, np.full_like(top20, (1 << 20) - 1), scale, rng)

    monkeypatch.setattr(samplers, "_reject_truncated", forced)
    z = discrete_laplace(3.0 * 2**21, 2000, np.random.default_rng(20))
    scale = 3.0 * 2**21
    edges = np.round(scale * np.array([-1.5, -0.7, -0.2, 0, 0.2, 0.7, 1.5]))
    observed, expected = binned_fit(z, dlap_cdf(scale), edges)
    assert chi2_ok(observed, expected)


# --------------------------------------------------------------------------- interface
def test_shapes_seeds_and_secure_default():
    a = discrete_laplace(3.0, (4, 5), 7)
    assert a.shape == (4, 5) and a.dtype == np.int64
    assert np.array_equal(a, discrete_laplace(3.0, (4, 5), np.random.default_rng(7)))
    assert discrete_gaussian(2.0, 0, 1).shape == (0,)
    secure = discrete_laplace(2.0**30, 1000)  # rng=None: SecureGenerator
    assert secure.dtype == np.int64 and np.unique(secure).size > 900
    assert discrete_gaussian(5.0, 10, SecureGenerator()).shape == (10,)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), 2.0**53])
def test_bad_scale(bad):
    with pytest.raises(ValueError, match="scale"):
        discrete_laplace(bad, 3)
    with pytest.raises(ValueError, match="sigma"):
        discrete_gaussian(bad, 3)


def test_bad_size_and_rng():
    with pytest.raises(ValueError, match="size"):
        discrete_laplace(1.0, -1)
    with pytest.raises(TypeError, match="rng"):
        discrete_laplace(1.0, 3, rng="seed")
    with pytest.raises(TypeError):
        discrete_laplace("1", 3)
