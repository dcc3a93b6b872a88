"""Tests of the floating-point lab (pets_helpers.attacks.floating_point, Lesson 02).

The reachability replay must be exact in both directions: every output the naive numpy
release really produced is judged reachable from its input (no false negatives, checked on
seeded samples and against numpy's own sampler bit for bit), and the windowed inversion
agrees with brute force over all draws of U in small regions (no false positives or misses).
Statistical assertions use tolerances derived from theory so that a correct implementation
fails with probability ≤ 1e-6 (ALPHA).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pets_helpers.attacks.floating_point import (
    AttackResult,
    _replay_noise,
    attack_advantage,
    could_produce,
    distinguishing_attack,
    lattice_support,
    naive_laplace_release,
    naive_release,
    porous_fraction,
    safe_release,
)

ALPHA = 1e-6



# --------------------------------------------------------------------------- exact replay


@pytest.mark.parametrize("x, scale", [(0.0, 10.0), (1.0, 2.0), (1.0, 1.0), (-3.5, 0.5)])
def test_every_naive_output_is_reachable_from_its_input(x, scale):
    y = naive_laplace_release(x, scale, np.random.default_rng(2012), size=20_000)
    assert could_produce(y, x, scale).all()


def test_replay_matches_numpy_sampler_bit_for_bit():
    # numpy: U = (next_uint64 >> 11)·2^-53, then loc ± scale·log(...) with C's log; the replay
    # of the very same raw 64-bit words must give the very same doubles.
    n, scale = 100_000, 3.0
    raw = np.random.default_rng(7).bit_generator.random_raw(n)
    k = (raw >> np.uint64(11)).astype(np.int64)
    assert (k > 0).all()  # U = 0 (rejected and redrawn by numpy) has probability 2^-53
    expected = np.random.default_rng(7).laplace(0.0, scale, n)
    assert np.array_equal(_replay_noise(k, scale), expected)


@pytest.mark.parametrize(
    "x, scale, k0",
    [
        (0.0, 1.0, (1 << 53) - int((1 << 52) * math.exp(-1.0))),  # noise ≈ +1, U ≥ 0.5
        (1.0, 1.0, 1 << 52),  # noise ≈ 0 around U = 0.5, both branches; y ≈ 1
        (0.0, 2.0, int((1 << 52) * math.exp(-1.25))),  # noise ≈ -2.5, U < 0.5
        (1.0, 4.0, (1 << 53) - int((1 << 52) * math.exp(-0.5))),  # y ≈ 3
    ],
)
def test_reachability_agrees_with_brute_force(x, scale, k0):
    # All outputs of the draws k0-1500 … k0+1500, replayed; every double strictly inside the
    # range spanned by the middle draws must be judged reachable iff one of them produced it.
    ks = np.arange(k0 - 1500, k0 + 1501, dtype=np.int64)
    produced = x + _replay_noise(ks, scale)
    assert (np.diff(produced) >= 0).all()  # monotone here, so outer draws land outside
    lo, hi = produced[100], produced[-101]
    sign = 1.0 if lo > 0 else -1.0
    assert sign * hi > 0
    a, b = sorted(np.abs([lo, hi]).view(np.int64))  # bit patterns of magnitudes: monotone
    assert 100 < b - a < 200_000
    doubles = sign * np.arange(a + 1, b, dtype=np.int64).view(np.float64)
    truth = np.isin(doubles, produced)
    assert 0 < truth.sum() < doubles.size  # the region really has holes
    assert np.array_equal(could_produce(doubles, x, scale), truth)


def test_could_produce_scalar_and_shape():
    y = naive_laplace_release(1.0, 2.0, np.random.default_rng(1))
    assert isinstance(y, float)
    assert could_produce(y, 1.0, 2.0) is True
    ys = naive_laplace_release(1.0, 2.0, np.random.default_rng(1), size=(3, 4))
    out = could_produce(ys, 1.0, 2.0)
    assert out.shape == (3, 4) and out.all()
    assert not could_produce(np.array([np.inf, -np.inf, 1e6]), 0.0, 1.0).any()


def test_porous_fraction_exhaustive_and_sampled():
    # 2001 consecutive doubles from 1.0: exhaustive, so it equals the reachability mean.
    doubles = (np.arange(2001) + np.array([1.0]).view(np.int64)).view(np.float64)
    frac = porous_fraction(0.0, 1.0, doubles[0], doubles[-1], n=5000)
    assert frac == could_produce(doubles, 0.0, 1.0).mean()
    assert 0.05 < frac < 0.95  # holes, but not only holes
    # Sampled near 0.001 for x = 0: noise there has resolution scale·2^-52 ≫ the double
    # spacing, so almost every double is a hole.
    assert porous_fraction(0.0, 10.0, 0.001, 0.0011, n=2000, rng=3) < 0.01


# --------------------------------------------------------------------------- the attack


def test_distinguishing_attack_rules():
    support = lattice_support(0.5)
    y = np.array([-3.0, 0.0, 1.0, 0.5, 2.5, 0.25])
    guesses = distinguishing_attack(y, 0.0, 1.0, scale=2.0, rng=0, support=support)
    # nearer input wins; 0.5 is a tie (coin); 0.25 is off the lattice (reachable from neither:
    # the fallback guess, here the nearer input 0)
    assert guesses[[0, 1, 2, 4, 5]].tolist() == [0.0, 0.0, 1.0, 1.0, 0.0]
    assert guesses[3] in (0.0, 1.0)

    # With an input-dependent support, certainty overrides the likelihood ratio.
    def only_x1_near_minus3(yy, x):
        return np.where(yy == -3.0, x == 1.0, True)

    g = distinguishing_attack(y, 0.0, 1.0, 2.0, rng=0, support=only_x1_near_minus3)
    assert g[0] == 1.0
    g = distinguishing_attack(y, 0.0, 1.0, 2.0, rng=0, support=support, ambiguous="x0")
    assert (g == 0.0).all()


def _assert_significant_violation(res: AttackResult):
    assert res.violates and res.epsilon_lower_bound > res.epsilon
    # the same conclusion, recomputed from the counts with exact one-sided binomial bounds
    n, a = res.n, ALPHA / 2
    k1, k0 = round(res.tpr * n), round(res.fpr * n)
    lo1 = stats.beta.ppf(a, k1, n - k1 + 1)
    up0 = stats.beta.isf(a, k0 + 1, n - k0) if k0 < n else 1.0
    assert lo1 / up0 > res.exp_epsilon


@pytest.mark.parametrize("epsilon", [0.1, 1.0])
def test_naive_release_is_distinguishable(epsilon):
    res = attack_advantage(naive_release(epsilon), 0.0, 1.0, epsilon, 20_000, rng=5)
    assert res.unexplained_fraction == 0.0  # the support test explains every output
    assert res.identifying_fraction > 0.5  # most outputs pin the input down exactly
    assert res.ratio > 2 * res.exp_epsilon
    _assert_significant_violation(res)


def test_naive_release_certain_guesses_never_wrong():
    # Guessing x1 only when the output is impossible under x0: P[guess = x1 | x0] = 0 exactly,
    # P[guess = x1 | x1] = the identifying fraction: an infinite likelihood ratio.
    res = attack_advantage(naive_release(0.5), 0.0, 1.0, 0.5, 20_000, rng=6, ambiguous="x0")
    assert res.fpr == 0.0 and res.ratio == math.inf
    assert res.tpr > 0.5
    _assert_significant_violation(res)


def _ratio_within_bound(res: AttackResult, k: int) -> bool:
    """Both likelihood ratios ≤ e^ε up to a z-bound on their log (delta method)."""
    z = float(stats.norm.isf(ALPHA / (2 * k)))
    n, p1, p0 = res.n, res.tpr, res.fpr
    if not 0 < p0 <= p1 < 1:
        return False
    sd = math.sqrt((1 - p1) / (n * p1) + (1 - p0) / (n * p0))
    sd_c = math.sqrt(p0 / (n * (1 - p0)) + p1 / (n * (1 - p1)))
    return (math.log(p1 / p0) <= res.epsilon + z * sd
            and math.log((1 - p0) / (1 - p1)) <= res.epsilon + z * sd_c)


@pytest.mark.parametrize("epsilon, granularity", [(0.5, None), (1.0, 2.0**-10)])
def test_safe_release_defeats_the_attack(epsilon, granularity):
    release = safe_release(epsilon, granularity=granularity)
    g = release.granularity
    assert g == 2.0 ** round(math.log2(g)) and (granularity is None or g == granularity)
    results = [attack_advantage(release, 0.0, 1.0, epsilon, 20_000, rng=seed)
               for seed in (1, 2, 3)]  # support: release.support, the lattice gℤ
    for res in results:
        assert res.unexplained_fraction == 0.0  # every output lies exactly on the lattice
        assert res.identifying_fraction == 0.0  # which is the support of both inputs
        assert not res.violates
    # best of 3 seeds (each z-bound at ALPHA/2 over the two ratios)
    assert any(_ratio_within_bound(res, 2) for res in results)


def test_safe_release_survives_the_naive_reachability_test():
    # An attacker who assumes numpy was used applies could_produce to lattice outputs: that
    # is post-processing of an ε-DP release, so whatever it decides, the ratio stays bounded.
    epsilon = 1.0

    def numpy_support(y, x):
        return could_produce(y, x, 1.0 / epsilon)

    res = attack_advantage(safe_release(epsilon), 0.0, 1.0, epsilon, 20_000, rng=4,
                           support=numpy_support)
    assert not res.violates


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("scale", [0, -1.0, float("nan"), float("inf")])
def test_bad_scale(scale):
    with pytest.raises(ValueError, match="scale"):
        could_produce(np.array([1.0]), 0.0, scale)
    with pytest.raises(ValueError, match="scale"):
        naive_laplace_release(0.0, scale, 1, size=3)
    with pytest.raises(ValueError, match="scale"):
        distinguishing_attack(np.array([1.0]), 0.0, 1.0, scale)


def test_bad_inputs():
    with pytest.raises(ValueError, match="nan"):
        could_produce(np.array([1.0, np.nan]), 0.0, 1.0)
    with pytest.raises(ValueError, match="finite"):
        could_produce(np.array([1.0]), np.nan, 1.0)
    with pytest.raises(ValueError, match="differ"):
        distinguishing_attack(np.array([1.0]), 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="differ"):
        attack_advantage(naive_release(1.0), 0.0, 0.0, 1.0, 10, rng=1)
    with pytest.raises(ValueError, match="epsilon"):
        attack_advantage(naive_release(1.0), 0.0, 1.0, 0.0, 10, rng=1)
    with pytest.raises(TypeError, match="float64"):
        could_produce(np.array([1.0], dtype=np.float32), 0.0, 1.0)
    with pytest.raises(TypeError, match="rng"):
        naive_laplace_release(0.0, 1.0, rng="seed")
    with pytest.raises(ValueError, match="ambiguous"):
        distinguishing_attack(np.array([1.0]), 0.0, 1.0, 1.0, ambiguous="guess")
    with pytest.raises(ValueError, match="n = 10"):
        attack_advantage(lambda x, n, rng: np.zeros(n + 1), 0.0, 1.0, 1.0, 10, rng=1)
    with pytest.raises(ValueError, match="low < high"):
        porous_fraction(0.0, 1.0, 2.0, 1.0)
