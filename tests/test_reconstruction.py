"""Tests for the Dinur–Nissim reconstruction attack (pets_helpers.attacks.reconstruction).

Statistical assertions use tolerances derived from theory with false-fail probability ≤ 1e-6
each (the seeds are fixed, so in practice the tests are deterministic).
"""

import math
import time

import numpy as np
import pytest
from scipy.stats import binom

from pets_helpers.attacks import (
    accuracy_vs_noise,
    answer_queries,
    dp_laplace_scale,
    make_secret_column,
    noise_std,
    predicted_lstsq_accuracy,
    random_subset_queries,
    reconstruct,
    reconstruction_accuracy,
)
from pets_helpers.randomness import SecureGenerator

Z_1E6 = 4.891638475  # two-sided normal quantile, false-fail 1e-6


def _guessing_interval(n_bits: int) -> tuple[float, float]:
    """Accuracy range of coin flipping: Binomial(N, 1/2)/N, two-sided false-fail 1e-6."""
    lo = binom.ppf(5e-7, n_bits, 0.5)
    hi = binom.isf(5e-7, n_bits, 0.5)
    return lo / n_bits, hi / n_bits


def test_generators_shapes_and_values():
    secret = make_secret_column(300, rng=1)
    assert secret.shape == (300,) and secret.dtype == np.int8
    assert set(np.unique(secret)) <= {0, 1}
    q = random_subset_queries(300, 50, rng=2)
    assert q.shape == (50, 300) and set(np.unique(q)) == {0, 1}
    # the secure default works too
    assert make_secret_column(10).shape == (10,)
    assert random_subset_queries(10, 3, rng=SecureGenerator()).shape == (3, 10)


def test_exact_answers_are_subset_sums():
    secret = make_secret_column(50, rng=3)
    q = random_subset_queries(50, 20, rng=4)
    answers = answer_queries(q, secret, 0.0)
    np.testing.assert_array_equal(answers, q.astype(int) @ secret.astype(int))


@pytest.mark.parametrize("method", ["lstsq", "lp"])
def test_no_noise_reconstructs_perfectly(method):
    n = 200 if method == "lstsq" else 40
    rng = np.random.default_rng(5)
    secret = make_secret_column(n, rng)
    q = random_subset_queries(n, 4 * n, rng)
    guess = reconstruct(q, answer_queries(q, secret, 0.0), method=method)
    assert reconstruction_accuracy(secret, guess) == 1.0


def test_small_bounded_noise_still_reconstructs():
    # E = 0.05·√n: least squares errs on a coordinate w.p. ≈ 1 − Φ(√(3n)/(4σ)) with
    # σ = E/√3, i.e. 1 − Φ(26) — essentially never.
    n = 400
    rng = np.random.default_rng(6)
    secret = make_secret_column(n, rng)
    q = random_subset_queries(n, 4 * n, rng)
    answers = answer_queries(q, secret, 0.05 * math.sqrt(n), rng)
    assert reconstruction_accuracy(secret, reconstruct(q, answers)) == 1.0


def test_lp_variant_small_n():
    # Dinur–Nissim's LP with bounded noise E = 1 (≈ 0.16√n) on n = 40 people; the LP solution
    # is within 2E of every answer, which for 160 random subsets pins nearly every bit.
    rng = np.random.default_rng(8)
    accs = []
    for _ in range(3):
        secret = make_secret_column(40, rng)
        q = random_subset_queries(40, 160, rng)
        answers = answer_queries(q, secret, 1.0, rng, mechanism="uniform")
        accs.append(reconstruction_accuracy(secret, reconstruct(q, answers, method="lp")))
    assert np.mean(accs) >= 0.9


def test_huge_noise_is_no_better_than_guessing():
    """Noise ≫ √n: accuracy is that of coin flipping.

    Least squares gives x̂ = x + w with w = Q⁺e independent of the secret x. Given w, bit j is
    guessed right w.p. 1/2 when |w_j| > 1/2 and w.p. 1 otherwise, and the bits are i.i.d.
    uniform, so the number of right guesses is Binomial(N − K, 1/2) + K with K = #{|w_j| ≤ 1/2}.
    Here sd(w_j) ≈ 2σ/√(m − n) ≈ 5·10⁵, so K = 0 except with probability ~1e-3 (and then it
    shifts the count by ~1): the binomial interval applies.
    """
    n, trials = 200, 5
    df = accuracy_vs_noise(n, noise_scales=[1e7], trials=trials, rng=9)
    lo, hi = _guessing_interval(n * trials)
    assert lo <= df["accuracy_mean"].iloc[0] <= hi


def test_accuracy_vs_noise_shape_and_trend():
    n, trials = 200, 10
    factors = np.array([0.0, 0.1, 0.5, 2.0, 50.0])
    df = accuracy_vs_noise(n, noise_scales=factors * math.sqrt(n), trials=trials, rng=10)
    assert list(df.columns[:5]) == ["noise", "noise_std", "noise_over_sqrt_n",
                                    "accuracy_mean", "accuracy_std"]
    assert len(df) == len(factors)
    np.testing.assert_allclose(df["noise"], factors * math.sqrt(n))
    np.testing.assert_allclose(df["noise_over_sqrt_n"], factors / math.sqrt(3))
    acc = df["accuracy_mean"].to_numpy()
    assert ((acc >= 0) & (acc <= 1)).all() and (df["accuracy_std"] >= 0).all()
    assert acc[0] == 1.0 and acc[1] >= 0.99
    # Compare with the least-squares prediction Φ(√(m − n)/(4σ)): binomial sampling error over
    # N = n·trials bits (z = 4.89) plus 0.03 for the approximations behind the prediction
    # (normal errors, inverse-Wishart mean, weak correlation between bits).
    n_bits = n * trials
    for a, p in zip(acc, df["predicted"]):
        assert abs(a - p) <= Z_1E6 * math.sqrt(p * (1 - p) / n_bits) + 0.03
    assert acc[1] > acc[2] > acc[3]  # predicted 1.0, 0.93, 0.65: gaps far above the noise
    lo, hi = _guessing_interval(n_bits)
    assert lo <= acc[4] <= hi  # noise 50√n: collapsed to guessing


def test_default_levels_and_speed():
    t0 = time.perf_counter()
    df = accuracy_vs_noise(200, m=800, trials=3, rng=11)
    elapsed = time.perf_counter() - t0
    assert len(df) == 12 and df["noise"].iloc[0] == 0.0
    assert df["accuracy_mean"].iloc[0] == 1.0
    assert df["accuracy_mean"].iloc[-1] < 0.65  # 30√n of noise
    assert elapsed < 5.0


def test_lp_in_accuracy_vs_noise():
    df = accuracy_vs_noise(30, noise_scales=[0.0, 1000.0], trials=2, rng=12, method="lp")
    assert df["accuracy_mean"].iloc[0] == 1.0
    assert "predicted" not in df.columns
    assert df["accuracy_mean"].iloc[1] < 0.9


@pytest.mark.parametrize(
    "mechanism, var_of_var",
    # Var(s²)/σ⁴ ≈ (μ₄/σ⁴ − 1)/N: Laplace μ₄ = 6σ⁴, Gaussian 3σ⁴, uniform 9/5·σ⁴
    [("laplace", 5.0), ("gaussian", 2.0), ("uniform", 0.8)],
)
def test_noise_has_the_documented_std(mechanism, var_of_var):
    n_draws, scale = 100_000, 3.0
    q = np.ones((n_draws, 1), dtype=np.int8)
    secret = np.array([1], dtype=np.int8)
    noise = answer_queries(q, secret, scale, rng=13, mechanism=mechanism) - 1.0
    expected = noise_std(scale, mechanism)
    rel = noise.var() / expected**2 - 1.0
    assert abs(rel) <= Z_1E6 * math.sqrt(var_of_var / n_draws) + 1e-4
    if mechanism == "uniform":
        assert np.abs(noise).max() <= scale
    # also runs on the secure generator
    assert answer_queries(q[:10], secret, scale, mechanism=mechanism).shape == (10,)


def test_dp_noise_defeats_the_attack():
    # 4n subset sums under a total ε = 10 (sequential composition): Laplace scale m/ε per answer.
    n = 200
    m = 4 * n
    scale = dp_laplace_scale(m, 10.0)
    assert scale == pytest.approx(80.0)
    assert predicted_lstsq_accuracy(n, m, noise_std(scale, "laplace")) < 0.53
    df = accuracy_vs_noise(n, m, noise_scales=[scale], trials=5, rng=14, mechanism="laplace")
    assert df["accuracy_mean"].iloc[0] < 0.5 + Z_1E6 * 0.5 / math.sqrt(n * 5) + 0.03


def test_predicted_accuracy():
    assert predicted_lstsq_accuracy(100, 400, 0.0) == 1.0
    assert predicted_lstsq_accuracy(100, 400, 1e9) == pytest.approx(0.5, abs=1e-6)
    # Φ(√300/(4·√300/4)) = Φ(1)
    assert predicted_lstsq_accuracy(100, 400, math.sqrt(300) / 4) == pytest.approx(0.841344746)
    with pytest.raises(ValueError, match="m > n"):
        predicted_lstsq_accuracy(100, 100, 1.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: random_subset_queries(0, 5),
        lambda: make_secret_column(-1),
        lambda: answer_queries([[0, 2]], [0, 1], 0.0),
        lambda: answer_queries([[0, 1]], [0, 1, 1], 0.0),
        lambda: answer_queries([[0, 1]], [0, 1], -1.0),
        lambda: answer_queries([[0, 1]], [0, 1], float("nan")),
        lambda: answer_queries([[0, 1]], [0, 1], 1.0, mechanism="cauchy"),
        lambda: answer_queries([[0, 1]], [0, 3], 1.0),
        lambda: reconstruct([[0, 1]], [1.0, 2.0]),
        lambda: reconstruct([[0, 1]], [float("nan")]),
        lambda: reconstruct([[0, 1]], [1.0], method="magic"),
        lambda: reconstruct([0, 1], [1.0]),
        lambda: reconstruction_accuracy([0, 1], [0, 1, 1]),
        lambda: accuracy_vs_noise(10, noise_scales=[-1.0]),
        lambda: accuracy_vs_noise(10, trials=0),
        lambda: accuracy_vs_noise(10, method="magic"),
        lambda: dp_laplace_scale(10, 0.0),
    ],
)
def test_validation(call):
    with pytest.raises((ValueError, TypeError)):
        call()
