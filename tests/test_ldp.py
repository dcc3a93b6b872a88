"""Tests of the local differential privacy library (pets_helpers.ldp).

Statistical assertions are seeded, and every tolerance is derived from theory so that a
correct implementation fails an assertion with probability ≤ 1e-6 (ALPHA): normal bounds with
z = Φ⁻¹(1 - α/2), chi-square quantiles for variances and goodness of fit, exact binomial
quantiles for proportions, each Bonferroni-corrected over the items one assertion covers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pets_helpers.ldp import (
    ORACLES,
    BloomRAPPOR,
    FrequencyOracle,
    GeneralizedRR,
    OLHReports,
    OptimizedLocalHashing,
    OptimizedUnaryEncoding,
    best_oracle,
    verify_ldp,
    verify_oracle_ldp,
    olh_report_bits,
    randomized_response,
    rr_estimate,
    rr_keep_probability,
    rr_report_probability,
    rr_variance,
)
from pets_helpers.ldp import _sampling, hashing
from pets_helpers.randomness import SecureGenerator

ALPHA = 1e-6
EPSILONS = [0.5, 1.0, 3.0]


def z_bound(k: int = 1) -> float:
    """Two-sided normal quantile for k simultaneous assertions at total level ALPHA."""
    return float(stats.norm.isf(ALPHA / (2 * k)))


def variance_ratio_bounds(reps: int, k: int = 1) -> tuple[float, float]:
    """Bounds on S²/σ² for a sample variance of ``reps`` normal draws (k simultaneous)."""
    df = reps - 1
    return (
        float(stats.chi2.ppf(ALPHA / (2 * k), df)) / df,
        float(stats.chi2.isf(ALPHA / (2 * k), df)) / df,
    )


def chi2_gof_ok(observed, expected, k: int = 1) -> bool:
    """Pearson goodness-of-fit test at level ALPHA/k (expected counts should be ≳ 5)."""
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    stat = float(((observed - expected) ** 2 / expected).sum())
    return stat <= stats.chi2.isf(ALPHA / k, observed.size - 1)


def binomial_ok(successes: int, trials: int, prob: float, k: int = 1) -> bool:
    """Exact binomial two-sided acceptance region at level ALPHA/k."""
    lo = stats.binom.ppf(ALPHA / (2 * k), trials, prob)
    hi = stats.binom.isf(ALPHA / (2 * k), trials, prob)
    return lo <= successes <= hi


def make_oracle(name: str, epsilon: float, d: int) -> FrequencyOracle:
    if name == "RAPPOR":
        return BloomRAPPOR(epsilon, d, num_bits=max(2 * d, 8))  # small m: enumerable outputs
    return ORACLES[name](epsilon, d)


def olh_seeds(count: int, seed: int = 7):
    a, b = hashing.draw_seeds(np.random.default_rng(seed), count)
    return [(int(x), int(y)) for x, y in zip(a, b)]


# ------------------------------------------------------------------------------------------
# Exact ε-LDP: exhaustive over all inputs and outputs of a small domain
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("epsilon", EPSILONS)
def test_warner_rr_is_exactly_epsilon_ldp(epsilon):
    result = verify_ldp(lambda x, y: rr_report_probability(x, y, epsilon), [0, 1], [0, 1], epsilon)
    assert result.satisfied
    assert result.max_ratio == pytest.approx(math.exp(epsilon), rel=1e-12)
    doubled = verify_ldp(
        lambda x, y: rr_report_probability(x, y, 2 * epsilon), [0, 1], [0, 1], epsilon
    )
    assert not doubled.satisfied
    assert doubled.privacy_loss == pytest.approx(2 * epsilon, rel=1e-12)


@pytest.mark.parametrize("epsilon", EPSILONS)
@pytest.mark.parametrize("name", ["GRR", "OUE"])
def test_oracle_is_exactly_epsilon_ldp(name, epsilon):
    oracle = make_oracle(name, epsilon, 4)
    result = verify_oracle_ldp(oracle)
    assert result.satisfied
    assert result.max_ratio == pytest.approx(math.exp(epsilon), rel=1e-12)  # optimal: tight
    assert not verify_oracle_ldp(make_oracle(name, 2 * epsilon, 4), epsilon=epsilon).satisfied


@pytest.mark.parametrize("epsilon", EPSILONS)
def test_olh_is_exactly_epsilon_ldp_for_every_seed(epsilon):
    # The seed is drawn independently of the item, so it suffices that for every fixed seed
    # the bucket's distribution satisfies the bound.
    oracle, stronger = OptimizedLocalHashing(epsilon, 4), OptimizedLocalHashing(2 * epsilon, 4)
    ratios = []
    for seed in olh_seeds(20):
        result = verify_oracle_ldp(oracle, outputs=oracle.output_space(seed))
        assert result.satisfied
        ratios.append(result.max_ratio)
        distinct = {hashing.bucket_scalar(*seed, v, oracle.g) for v in range(4)}
        expected = math.exp(epsilon) if len(distinct) > 1 else 1.0
        assert result.max_ratio == pytest.approx(expected, rel=1e-12)
    assert max(ratios) == pytest.approx(math.exp(epsilon), rel=1e-12)
    violations = [
        not verify_oracle_ldp(stronger, epsilon, outputs=stronger.output_space(s)).satisfied
        for s in olh_seeds(20)
    ]
    assert any(violations)


@pytest.mark.parametrize("epsilon", EPSILONS)
def test_rappor_is_epsilon_ldp_and_reports_its_exact_loss(epsilon):
    oracle = make_oracle("RAPPOR", epsilon, 4)
    result = verify_oracle_ldp(oracle)
    assert result.satisfied
    assert result.privacy_loss == pytest.approx(oracle.max_privacy_loss, rel=1e-9)
    assert oracle.max_privacy_loss <= epsilon * (1 + 1e-12)
    table = oracle.bloom_matrix.T.astype(bool)
    disjoint_full = any(
        table[v].sum() == 2 and table[w].sum() == 2 and not (table[v] & table[w]).any()
        for v in range(4)
        for w in range(4)
    )
    if disjoint_full:
        assert result.max_ratio == pytest.approx(math.exp(epsilon), rel=1e-9)
    stronger = BloomRAPPOR(2 * epsilon, 4, num_bits=8, hash_seed=oracle.hash_seed)
    assert not verify_oracle_ldp(stronger, epsilon=epsilon).satisfied


def test_rappor_epsilon_formula_and_default_size():
    oracle = BloomRAPPOR(2.0, 32)
    assert oracle.num_bits == 128 and oracle.num_hashes == 2
    f = oracle.f
    assert 2 * 2 * math.log((1 - f / 2) / (f / 2)) == pytest.approx(2.0, rel=1e-12)
    assert oracle.max_privacy_loss == pytest.approx(2.0, rel=1e-12)  # some disjoint pair


@pytest.mark.parametrize("name", list(ORACLES))
def test_report_probabilities_are_distributions(name):
    oracle = make_oracle(name, 1.0, 4)
    outputs = list(oracle.output_space())
    for v in range(4):
        total = sum(oracle.report_probability(v, y) for y in outputs)
        assert total == pytest.approx(1.0, abs=1e-12)


def test_verify_ldp_reports_infinite_ratio_and_rejects_bad_input():
    def deterministic(x, y):
        return 1.0 if x == y else 0.0

    result = verify_ldp(deterministic, [0, 1], [0, 1], 5.0)
    assert not result.satisfied and result.max_ratio == math.inf
    with pytest.raises(ValueError, match="at least two inputs"):
        verify_ldp(deterministic, [0], [0, 1], 1.0)
    with pytest.raises(ValueError, match="probability distributions"):
        verify_ldp(lambda x, y: 0.9, [0, 1], [0, 1], 1.0)


# ------------------------------------------------------------------------------------------
# perturb() samples from report_probability()
# ------------------------------------------------------------------------------------------

N_EMPIRICAL = 40_000


def _pattern_index(bits: np.ndarray) -> np.ndarray:
    return bits.astype(np.int64) @ (1 << np.arange(bits.shape[1]))


@pytest.mark.parametrize("name", ["GRR", "OUE", "RAPPOR"])
def test_perturb_matches_report_probability(name):
    d, epsilon = 4, 2.0
    oracle = make_oracle(name, epsilon, d)
    outputs = list(oracle.output_space())
    rng = np.random.default_rng(11)
    for v in range(d):
        reports = oracle.perturb(np.full(N_EMPIRICAL, v), rng=rng)
        codes = reports if name == "GRR" else _pattern_index(reports)
        observed = np.bincount(codes, minlength=len(outputs))
        if name == "GRR":
            expected = [oracle.report_probability(v, y) for y in outputs]
        else:  # index the 2^k bit patterns the same way for observed and expected
            expected = np.zeros(len(outputs))
            for y in outputs:
                expected[_pattern_index(np.array([y]))[0]] = oracle.report_probability(v, y)
        assert chi2_gof_ok(observed, N_EMPIRICAL * np.asarray(expected), k=d)


def test_olh_perturb_matches_report_probability():
    oracle = OptimizedLocalHashing(1.0, 8)
    g = oracle.g
    rng = np.random.default_rng(12)
    for v in range(8):
        reports = oracle.perturb(np.full(N_EMPIRICAL, v), rng=rng)
        true_bucket = hashing.bucket(reports.a, reports.b, v, g).astype(np.int64)
        offset = (reports.bucket - true_bucket) % g
        # offset 0 = the true bucket (probability p), each other offset 1/(e^ε+g-1)
        seed = (int(reports.a[0]), int(reports.b[0]))
        expected = [
            oracle.report_probability(v, (*seed, (int(true_bucket[0]) + k) % g)) for k in range(g)
        ]
        assert expected[0] == oracle.p and sum(expected) == pytest.approx(1.0)
        observed = np.bincount(offset, minlength=g)
        assert chi2_gof_ok(observed, N_EMPIRICAL * np.array(expected), k=8)


@pytest.mark.parametrize("epsilon", [0.5, 2.0])
def test_warner_rr_keeps_with_probability_p(epsilon):
    p = rr_keep_probability(epsilon)
    assert p == pytest.approx(math.exp(epsilon) / (1 + math.exp(epsilon)), rel=1e-15)
    bits = np.tile(np.array([0, 1], dtype=np.int8), N_EMPIRICAL // 2)
    reports = randomized_response(bits, epsilon, rng=13)
    assert reports.dtype == np.int8
    for b in (0, 1):
        kept = int(np.count_nonzero(reports[bits == b] == b))
        assert binomial_ok(kept, N_EMPIRICAL // 2, p, k=2)


def test_olh_seeds_are_uniform_and_collision_rate_is_one_over_g():
    # The multiply-shift family is 2-independent into 32-bit values; bucketing makes the
    # collision probability 1/g up to ~g/2^32. Measure it: P[h(v) = h(w)] for several pairs.
    oracle = OptimizedLocalHashing(1.0, 2)
    g, trials = oracle.g, 200_000
    a, b = hashing.draw_seeds(np.random.default_rng(14), trials)
    bits = np.unpackbits(np.concatenate([a, b]).view(np.uint8)).reshape(2 * trials, 64)
    ones = bits.sum(axis=0)
    assert all(binomial_ok(int(c), 2 * trials, 0.5, k=64) for c in ones)
    pairs = [(0, 1), (1, 2), (0, 2**31), (5, 6), (12345, 54321), (7, 2**32 - 1)]
    for v, w in pairs:
        same = hashing.bucket(a, b, v, g) == hashing.bucket(a, b, w, g)
        assert binomial_ok(int(same.sum()), trials, 1.0 / g, k=len(pairs))
    counts = np.bincount(hashing.bucket(a, b, 3, g).astype(np.int64), minlength=g)
    assert chi2_gof_ok(counts, np.full(g, trials / g))


# ------------------------------------------------------------------------------------------
# Exact Bernoulli sampling
# ------------------------------------------------------------------------------------------


class ScriptedRng:
    """Stand-in generator whose ``integers`` returns scripted values (to enumerate inputs)."""

    def __init__(self, values):
        self.values = list(values)

    def integers(self, low, high, size):
        out = np.array([self.values.pop(0) for _ in range(size)], dtype=np.int64)
        assert low == 0 and np.all(out < high)
        return out


@pytest.mark.parametrize("threshold", [0, 1, 15, 16, 255, 256, 2730, 4095, 4096])
def test_staged_comparison_is_exact_for_every_random_input(threshold):
    # 12-bit K = N1·256 + N2·16 + N3 read one nibble at a time (min_stage=1 forces staging
    # even for a single draw); every combination of the three nibbles must give K < threshold.
    for k in range(4096):
        rng = ScriptedRng([k >> 8, (k >> 4) & 15, k & 15])
        got = _sampling.below_threshold(rng, 1, threshold, bits=12, stage_bits=4, min_stage=1)
        assert bool(got[0]) == (k < threshold), (k, threshold)


@pytest.mark.parametrize("threshold", [0, 1, 0x12345, 0x7FFFF, 0xABCDE, 0xFFFFF, 0x100000])
def test_staged_comparison_with_bytes_is_exact(threshold):
    # 20-bit K = B1·2^12 + B2·2^4 + N read byte, byte, 4 bits: every first byte, and the
    # second bytes and final bits around the threshold's (where a wrong tie rule would show).
    t2, t3 = (threshold >> 4) & 255, threshold & 15
    for b1 in range(256):
        for b2 in {0, 255, t2, max(t2 - 1, 0), min(t2 + 1, 255)}:
            for n in {0, 15, t3, max(t3 - 1, 0), min(t3 + 1, 15)}:
                k = (b1 << 12) | (b2 << 4) | n
                rng = ScriptedRng([b1, b2, n])
                got = _sampling.below_threshold(rng, 1, threshold, bits=20, min_stage=1)
                assert bool(got[0]) == (k < threshold), (k, threshold)


@pytest.mark.parametrize("prob", [0.5, 0.1, 1 / 3, 0.2689414213699951, 1 - 2**-40, 2**-60])
def test_bernoulli_threshold_is_the_53_bit_float_comparison(prob):
    q = _sampling.exact_threshold(prob)
    assert q == math.ceil(prob * 2**53)  # prob·2^53 is exact in floating point
    assert 0 <= _sampling.implemented_probability(prob) - prob < 2**-53
    # u < prob for u = K·2^-53 holds exactly for K < q: check at the boundary
    assert (q - 1) * 2.0**-53 < prob and not q * 2.0**-53 < prob


@pytest.mark.parametrize("epsilon", [0.1, 0.7, 1.0, 2.5, 8.0])
def test_implemented_probabilities_never_exceed_the_privacy_bound(epsilon):
    # The sampler rounds each probability to a multiple of 2^-53; every mechanism draws the
    # event whose rounding up can only shrink its likelihood ratio. Check the real ratios.
    bound = math.exp(epsilon) * (1 + 4e-16)
    ip = _sampling.implemented_probability
    flip = ip(math.exp(-epsilon) / (1 + math.exp(-epsilon)))  # Warner RR
    assert (1 - flip) / flip <= bound
    for k, q in [(d, GeneralizedRR(epsilon, d).q) for d in (2, 5, 64)] + [
        (o.g, o.bucket_q) for o in [OptimizedLocalHashing(epsilon, 8)]
    ]:
        r = ip(min(1.0, k * q))  # GRR mixture: uniform over k w.p. r, else the truth
        assert (1 - r + r / k) / (r / k) <= bound
    q = ip(OptimizedUnaryEncoding(epsilon, 4).q)  # OUE: true bit 1/2 (exact), others q
    assert (0.5 / q) * ((1 - q) / 0.5) <= bound
    rappor = BloomRAPPOR(epsilon, 4)
    q = ip(rappor.q)  # per-bit flips, ratio (1-q)/q per differing bit, 2h bits at most
    assert ((1 - q) / q) ** (2 * rappor.num_hashes) <= bound


def test_bernoulli_frequency_and_shape():
    rng = np.random.default_rng(15)
    draws = _sampling.bernoulli(rng, 0.3, (500, 200))
    assert draws.shape == (500, 200) and draws.dtype == bool
    assert binomial_ok(int(draws.sum()), draws.size, 0.3)
    secure = _sampling.bernoulli(SecureGenerator(), 0.3, 100_000)
    assert binomial_ok(int(secure.sum()), secure.size, 0.3)
    assert _sampling.bernoulli(rng, 1.0, 5).all() and not _sampling.bernoulli(rng, 0.0, 5).any()


@pytest.mark.parametrize(
    "rng", [np.random.default_rng(17), SecureGenerator()], ids=["numpy", "secure"]
)
def test_random_bytes_and_nibbles_are_uniform_in_every_position(rng):
    # words hold 7 random bytes and a zero byte that is replaced: check each byte position
    data = _sampling.random_bytes(rng, 8 * 256 * 40).reshape(-1, 8)
    for j in range(8):
        assert chi2_gof_ok(np.bincount(data[:, j], minlength=256), np.full(256, 256 * 40 / 256), 9)
    nibbles = _sampling.random_nibbles(rng, 16 * 1000 + 1)
    assert nibbles.shape == (16_001,) and int(nibbles.max()) <= 15
    assert chi2_gof_ok(np.bincount(nibbles, minlength=16), np.full(16, 16_001 / 16), 9)
    assert _sampling.random_bytes(rng, 5).shape == (5,)


@pytest.mark.parametrize("k", [2, 7, 32, 100, 255, 256, 1000])
def test_uniform_below_is_uniform(k):
    n = 200 * k
    draws = _sampling.uniform_below(np.random.default_rng(16), k, n)
    assert draws.shape == (n,) and int(draws.min()) >= 0 and int(draws.max()) < k
    assert chi2_gof_ok(np.bincount(draws, minlength=k), np.full(k, n / k))


# ------------------------------------------------------------------------------------------
# Unbiasedness and variance (simulation against the stated formulas)
# ------------------------------------------------------------------------------------------

REPS, N_USERS = 1000, 4000


def _fixed_values(d: int, n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, d + 1) ** 1.2
    counts = np.floor(weights / weights.sum() * n).astype(int)
    counts[0] += n - counts.sum()
    return np.repeat(np.arange(d), counts)


@pytest.mark.parametrize("name", list(ORACLES))
def test_estimates_are_unbiased_with_the_stated_variance(name):
    d, epsilon = 6, 1.5
    oracle = ORACLES[name](epsilon, d)
    values = _fixed_values(d, N_USERS)
    truth = np.bincount(values, minlength=d) / N_USERS
    reports = oracle.perturb(np.tile(values, REPS), rng=21)
    estimates = np.array(
        [oracle.estimate(reports[r * N_USERS : (r + 1) * N_USERS]) for r in range(REPS)]
    )
    var = oracle.variance(N_USERS, truth)
    z = z_bound(d)
    assert np.all(np.abs(estimates.mean(axis=0) - truth) <= z * np.sqrt(var / REPS))
    lo, hi = variance_ratio_bounds(REPS, d)
    ratio = estimates.var(axis=0, ddof=1) / var
    assert np.all((lo <= ratio) & (ratio <= hi)), ratio


def test_variance_formulas_match_the_literature():
    eps, d, n = 1.0, 10, 1000
    e = math.exp(eps)
    grr = GeneralizedRR(eps, d).variance(n)
    assert grr == pytest.approx(np.full(d, (e + d - 2) / (n * (e - 1) ** 2)))
    oue = OptimizedUnaryEncoding(eps, d).variance(n)
    assert oue == pytest.approx(np.full(d, 4 * e / (n * (e - 1) ** 2)))
    olh = OptimizedLocalHashing(math.log(3.0), d)  # e^ε + 1 = 4 = g exactly
    assert olh.g == 4
    assert olh.variance(n) == pytest.approx(np.full(d, 4 * 3.0 / (n * 2.0**2)))
    truth = np.full(d, 1 / d)
    o = OptimizedUnaryEncoding(eps, d)
    exact = (0.1 * 0.25 + 0.9 * o.q * (1 - o.q)) / (n * (0.5 - o.q) ** 2)
    assert o.variance(n, truth) == pytest.approx(np.full(d, exact))
    rappor = BloomRAPPOR(eps, d)
    a = rappor.bloom_matrix.astype(float)
    expected = rappor.q * (1 - rappor.q) / (n * (1 - rappor.f) ** 2)
    expected *= np.diag(np.linalg.inv(a.T @ a))
    assert rappor.variance(n) == pytest.approx(expected)


@pytest.mark.parametrize("epsilon", [0.5, 2.0])
def test_rr_estimate_unbiased_with_warner_variance(epsilon):
    n, reps, pi = 2000, 400, 0.3
    rng = np.random.default_rng(22)
    # Warner's setting: each rep samples fresh users from a population with fraction π.
    sampled = [rr_estimate(randomized_response(rng.random(n) < pi, epsilon, rng), epsilon)
               for _ in range(reps)]
    # Fixed data: the same n bits each time, only the mechanism is random.
    bits = (np.arange(n) < pi * n).astype(np.int8)
    fixed = [rr_estimate(randomized_response(bits, epsilon, rng), epsilon) for _ in range(reps)]
    lo, hi = variance_ratio_bounds(reps, 2)
    for est, var in [
        (sampled, rr_variance(n, epsilon, pi)),
        (fixed, rr_variance(n, epsilon, pi, fixed_data=True)),
    ]:
        est = np.array(est)
        assert abs(est.mean() - pi) <= z_bound(2) * math.sqrt(var / reps)
        assert lo <= est.var(ddof=1) / var <= hi
    p = rr_keep_probability(epsilon)
    lam = pi * p + (1 - pi) * (1 - p)
    assert rr_variance(n, epsilon, pi) == pytest.approx(
        pi * (1 - pi) / n + p * (1 - p) / (n * (2 * p - 1) ** 2)
    )
    assert rr_variance(n, epsilon, pi) == pytest.approx(lam * (1 - lam) / (n * (2 * p - 1) ** 2))
    assert rr_variance(n, epsilon) == pytest.approx(1 / (4 * n * (2 * p - 1) ** 2))


def test_support_counts_match_direct_computation():
    rng = np.random.default_rng(23)
    d = 9
    values = rng.integers(0, d, 5000)
    olh = OptimizedLocalHashing(2.0, d)
    reports = olh.perturb(values, rng=rng)
    direct = [
        int(np.count_nonzero(hashing.bucket(reports.a, reports.b, v, olh.g) == reports.bucket))
        for v in range(d)
    ]
    assert olh.support_counts(reports).tolist() == direct
    rappor = BloomRAPPOR(2.0, d)
    bits = rappor.perturb(values, rng=rng)
    assert np.array_equal(rappor.bit_counts(bits), bits.sum(axis=0))
    assert np.array_equal(rappor.support_counts(bits), rappor.bloom_matrix.T @ bits.sum(axis=0))
    oue = OptimizedUnaryEncoding(2.0, 16)
    bits = oue.perturb(rng.integers(0, 16, 3000), rng=rng)  # 16 columns: the fast path
    assert np.array_equal(oue.support_counts(bits), bits.sum(axis=0))
    assert np.array_equal(oue.support_counts(bits.astype(np.int8)), bits.sum(axis=0))
    grr = GeneralizedRR(2.0, d)
    r = grr.perturb(values, rng=rng)
    assert np.array_equal(grr.support_counts(r), np.bincount(r, minlength=d))


def test_large_run_is_accurate_and_chunked():
    # More users than one perturbation chunk, so the chunk boundaries are exercised.
    d, n = 64, 60_000
    values = np.random.default_rng(24).integers(0, d, n)
    truth = np.bincount(values, minlength=d) / n
    for name in ORACLES:
        oracle = ORACLES[name](1.0, d)
        est = oracle.estimate(oracle.perturb(values, rng=25))
        assert np.all(np.abs(est - truth) <= z_bound(d * 4) * np.sqrt(oracle.variance(n, truth)))


def test_seeds_reproduce_and_default_is_secure():
    values = np.arange(50) % 5
    for name in ORACLES:
        oracle = ORACLES[name](1.0, 5)
        a, b = oracle.perturb(values, rng=3), oracle.perturb(values, rng=3)
        if isinstance(a, OLHReports):
            assert all(np.array_equal(x, y) for x, y in zip(vars(a).values(), vars(b).values()))
        else:
            assert np.array_equal(a, b)
        secure = oracle.perturb(values)  # rng=None: SecureGenerator
        assert oracle.estimate(secure).shape == (5,)
    assert np.array_equal(randomized_response(values % 2, 1.0, 4),
                          randomized_response(values % 2, 1.0, np.random.default_rng(4)))


# ------------------------------------------------------------------------------------------
# Oracle choice
# ------------------------------------------------------------------------------------------


def test_best_oracle_rule():
    assert best_oracle(1.0, 4) == "GRR"
    assert best_oracle(1.0, 10) == "GRR"  # 10 < 3e + 2 = 10.15
    assert best_oracle(1.0, 11) == "OUE"
    bits = olh_report_bits(1.0)
    assert bits == 128 + 2  # g = 4 buckets
    assert best_oracle(1.0, bits) == "OUE" and best_oracle(1.0, bits + 1) == "OLH"
    assert best_oracle(4.0, 150) == "GRR"  # 3e^4 + 2 ≈ 165.8
    assert best_oracle(4.0, 200) == "OLH"
    for eps in (0.5, 1.0, 2.0):  # the rule agrees with the variances
        for d in (3, 8, 20, 60):
            var = {k: ORACLES[k](eps, d).variance(1)[0] for k in ("GRR", "OUE")}
            if best_oracle(eps, d) == "GRR":
                assert var["GRR"] <= var["OUE"]
            else:
                assert var["OUE"] <= var["GRR"]


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_bad_epsilon_raises_value_error(bad):
    for cls in ORACLES.values():
        with pytest.raises(ValueError, match="epsilon"):
            cls(bad, 4)
    with pytest.raises(ValueError, match="epsilon"):
        randomized_response([0, 1], bad)
    with pytest.raises(ValueError, match="epsilon"):
        rr_estimate([0, 1], bad)
    with pytest.raises(ValueError, match="epsilon"):
        rr_variance(10, bad)


def test_non_numeric_epsilon_and_domain_raise_type_error():
    with pytest.raises(TypeError, match="epsilon"):
        GeneralizedRR("1", 4)
    with pytest.raises(TypeError, match="domain_size"):
        GeneralizedRR(1.0, 4.5)


@pytest.mark.parametrize("name", list(ORACLES))
def test_bad_values_raise(name):
    oracle = ORACLES[name](1.0, 4)
    with pytest.raises(ValueError, match=r"values\[1\] = 4 is outside"):
        oracle.perturb([0, 4, 1], rng=0)
    with pytest.raises(ValueError, match=r"values\[2\] = -1"):
        oracle.perturb([0, 1, -1], rng=0)
    with pytest.raises(ValueError, match="nan"):
        oracle.perturb([0.0, float("nan")], rng=0)
    with pytest.raises(ValueError, match="1-D"):
        oracle.perturb([[0, 1], [1, 2]], rng=0)
    with pytest.raises(ValueError, match="integers"):
        oracle.perturb([0.5, 1.0], rng=0)
    with pytest.raises(TypeError, match="dtype"):
        oracle.perturb(["a", "b"], rng=0)
    with pytest.raises(ValueError, match="domain_size"):
        ORACLES[name](1.0, 1)
    with pytest.raises(ValueError, match="n must"):
        oracle.variance(0)
    with pytest.raises(ValueError, match="shape"):
        oracle.variance(10, [0.5, 0.5])
    with pytest.raises(ValueError, match="sum to 1"):
        oracle.variance(10, [0.5, 0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"true_frequencies\[0\]"):
        oracle.variance(10, [-0.5, 0.5, 0.5, 0.5])
    with pytest.raises(TypeError, match="rng"):
        oracle.perturb([0, 1], rng="seed")


def test_bad_reports_raise():
    grr = GeneralizedRR(1.0, 4)
    with pytest.raises(ValueError, match=r"reports\[1\] = 7"):
        grr.estimate([0, 7])
    with pytest.raises(ValueError, match="empty"):
        grr.estimate(np.array([], dtype=int))
    for oracle, width in [(OptimizedUnaryEncoding(1.0, 4), 4), (BloomRAPPOR(1.0, 4), 16)]:
        good = oracle.perturb([0, 1, 2], rng=0)
        assert good.shape == (3, width)
        with pytest.raises(ValueError, match=rf"shape \(n, {width}\)"):
            oracle.estimate(good[:, :-1])
        with pytest.raises(ValueError, match="shape"):
            oracle.estimate(good[0])
        with pytest.raises(TypeError, match="dtype"):
            oracle.estimate(good.astype(float))
        bad = good.astype(np.int64)
        bad[1, 2] = 2
        with pytest.raises(ValueError, match=r"reports\[1, 2\] = 2"):
            oracle.estimate(bad)
        with pytest.raises(ValueError, match="empty"):
            oracle.estimate(good[:0])
        with pytest.raises(TypeError, match="reports"):
            oracle.estimate("0101")
    olh = OptimizedLocalHashing(1.0, 4)
    reports = olh.perturb([0, 1, 2], rng=0)
    with pytest.raises(TypeError, match="OLHReports"):
        olh.estimate(reports.bucket)
    with pytest.raises(ValueError, match=r"reports.bucket\[0\] = 4"):
        olh.estimate(OLHReports(reports.a, reports.b, np.array([4, 0, 0])))
    with pytest.raises(ValueError, match="equal length"):
        olh.estimate(OLHReports(reports.a[:2], reports.b, reports.bucket))
    with pytest.raises(TypeError, match="uint64"):
        olh.estimate(OLHReports(reports.a.astype(float), reports.b, reports.bucket))
    with pytest.raises(ValueError, match="empty"):
        olh.estimate(reports[:0])


def test_rr_validation():
    with pytest.raises(ValueError, match=r"bits\[1\] = 2"):
        randomized_response([0, 2], 1.0)
    with pytest.raises(ValueError, match="nan"):
        randomized_response([0.0, float("nan")], 1.0)
    with pytest.raises(ValueError, match="empty"):
        rr_estimate([], 1.0)
    with pytest.raises(ValueError, match="true_fraction"):
        rr_variance(10, 1.0, 1.5)
    with pytest.raises(ValueError, match="report"):
        rr_report_probability(0, 3, 1.0)


def test_rappor_rank_deficiency_is_a_clear_error():
    with pytest.raises(ValueError, match="num_bits = 8 < domain_size = 10"):
        BloomRAPPOR(1.0, 10, num_bits=8)
    with pytest.raises(ValueError, match="full column rank"):
        BloomRAPPOR(1.0, 4, num_bits=4, num_hashes=64, hash_seed=0)
    with pytest.raises(ValueError, match="full column rank"):
        BloomRAPPOR(1.0, 4, num_bits=4, num_hashes=64)
    with pytest.raises(ValueError, match="only for num_bits"):
        next(BloomRAPPOR(1.0, 8, num_bits=32).output_space())
