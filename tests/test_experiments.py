"""Simulated populations and experiments: shapes, validation and agreement with theory."""

import numpy as np
import pytest

from pets_helpers import ldp
from pets_helpers.grading.tolerance import binomial_acceptance
from pets_helpers.ldp.experiments import (mse_curve, repeated_report_attack, true_frequencies,
                                          zipf_popularity, zipf_population)


def test_zipf_population_follows_its_popularity():
    d, n = 8, 200_000
    values = zipf_population(n, d, exponent=1.1, rng=3)
    probs = zipf_popularity(d, 1.1)
    assert values.min() >= 0 and values.max() < d and probs.sum() == pytest.approx(1)
    counts = np.bincount(values, minlength=d)
    for count, p in zip(counts, probs):
        lo, hi = binomial_acceptance(n, p, 1e-6 / d)
        assert lo <= count <= hi
    assert np.array_equal(values, zipf_population(n, d, exponent=1.1, rng=3))


@pytest.mark.parametrize("kwargs,match", [
    ({"n_users": 0, "domain_size": 4}, "n_users"),
    ({"n_users": 10, "domain_size": 1}, "domain_size"),
    ({"n_users": 10, "domain_size": 4, "exponent": float("nan")}, "exponent"),
])
def test_zipf_population_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        zipf_population(**kwargs)


def test_mse_curve_matches_theory():
    # The measured MSE averages d·r squared errors, each ≈ σ_v²·χ²₁ (the estimates are nearly
    # Gaussian), so its relative standard deviation is sqrt(2 Σ_v σ_v⁴ / r) / Σ_v σ_v²; a z of
    # 4.9 gives a false-fail probability ≤ 1e-6 per oracle.
    d, reps = 16, 20
    values = zipf_population(20_000, d, rng=4)
    oracles = {"GRR": ldp.GeneralizedRR, "OUE": ldp.OptimizedUnaryEncoding}
    df = mse_curve(oracles, [1.0], values, d, repetitions=reps, rng=5, progress=False)
    assert list(df.columns) == ["oracle", "epsilon", "measured_mse", "theoretical_mse", "ratio"]
    truth = true_frequencies(values, d)
    for _, row in df.iterrows():
        var = oracles[row["oracle"]](1.0, d).variance(len(values), truth)
        relative_sd = np.sqrt(2 * np.sum(var ** 2) / reps) / np.sum(var)
        assert abs(row["ratio"] - 1) < 4.9 * relative_sd, row
    assert true_frequencies([0, 0, 1], 3).tolist() == pytest.approx([2 / 3, 1 / 3, 0])


def test_repeated_report_attack_matches_the_binomial_majority():
    trials = 20_000
    df = repeated_report_attack(1.0, [1, 4, 9], trials=trials, rng=6)
    for _, row in df.iterrows():
        lo, hi = binomial_acceptance(trials, row["theoretical_success"], 1e-6 / 3)
        assert lo <= row["measured_success"] * trials <= hi
    assert df["theoretical_success"].iloc[0] == pytest.approx(ldp.rr_keep_probability(1.0))
    assert df["total_epsilon"].tolist() == [1.0, 4.0, 9.0]
    with pytest.raises(ValueError):
        repeated_report_attack(0, [1])
