"""Simulated populations and accuracy experiments for the frequency oracles.

``zipf_population`` draws users whose favourite item follows a Zipf law (a few items are very
popular, most are rare — like app features or visited pages). ``mse_curve`` measures each
oracle's mean squared error against its theoretical variance over a range of ε.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..randomness import resolve_rng
from ..validation import check_epsilon, check_positive_int


def zipf_popularity(domain_size: int, exponent: float = 1.1) -> np.ndarray:
    """Item probabilities ∝ 1/rank^exponent over ``domain_size`` items (they sum to 1)."""
    d = check_positive_int(domain_size, "domain_size", minimum=2)
    if not np.isfinite(exponent) or exponent < 0:
        raise ValueError(f"exponent must be a finite number ≥ 0, got {exponent!r}.")
    weights = 1.0 / np.arange(1, d + 1) ** exponent
    return weights / weights.sum()


def zipf_population(n_users: int, domain_size: int, exponent: float = 1.1,
                    rng=None) -> np.ndarray:
    """Each user's item (int64 array of length ``n_users``) drawn from :func:`zipf_popularity`."""
    n = check_positive_int(n_users, "n_users")
    cdf = np.cumsum(zipf_popularity(domain_size, exponent))
    items = np.searchsorted(cdf, resolve_rng(rng).random(n), side="right")
    return np.minimum(items, domain_size - 1).astype(np.int64)


def true_frequencies(values, domain_size: int) -> np.ndarray:
    """The fraction of users holding each item."""
    values = np.asarray(values)
    return np.bincount(values, minlength=domain_size) / len(values)


def mse_curve(oracles: dict, epsilons, values, domain_size: int, repetitions: int = 3,
              rng=None, progress: bool = True) -> pd.DataFrame:
    """Measured vs theoretical MSE of each oracle's frequency estimates, for each ε.

    ``oracles`` maps names to oracle classes (e.g. ``pets_helpers.ldp.ORACLES``). The measured
    MSE averages the squared error over items and ``repetitions`` independent runs; the
    theoretical MSE is the mean over items of the oracle's exact variance given the true
    frequencies (the estimators are unbiased, so MSE = variance). Returns one row per
    (oracle, ε) with columns ``oracle, epsilon, measured_mse, theoretical_mse, ratio``.
    """
    epsilons = [check_epsilon(e) for e in epsilons]
    repetitions = check_positive_int(repetitions, "repetitions")
    rng = resolve_rng(rng)
    truth = true_frequencies(values, domain_size)
    rows = []
    jobs = [(name, eps) for name in oracles for eps in epsilons]
    for name, eps in tqdm(jobs, desc="MSE vs ε", disable=not progress, leave=False):
        oracle = oracles[name](eps, domain_size)
        errors = [np.mean((oracle.estimate(oracle.perturb(values, rng)) - truth) ** 2)
                  for _ in range(repetitions)]
        theory = float(np.mean(oracle.variance(len(values), truth)))
        measured = float(np.mean(errors))
        rows.append({"oracle": name, "epsilon": eps, "measured_mse": measured,
                     "theoretical_mse": theory, "ratio": measured / theory})
    return pd.DataFrame(rows)


def repeated_report_attack(epsilon, report_counts, trials: int = 2000, rng=None) -> pd.DataFrame:
    """How well a server recovers one user's bit when the user answers k times afresh.

    Each of ``trials`` simulated users holds a random bit and sends k independent randomized
    responses at ``epsilon``; the attacker takes the majority vote (ties by a fair coin).
    Returns, per k, the measured success rate, the exact binomial success probability and the
    composed privacy loss k·ε — the reason real deployments memoize one randomized answer
    (RAPPOR's permanent randomized response) instead of re-randomizing every day.
    """
    from scipy import stats

    from .randomized_response import randomized_response, rr_keep_probability

    p = rr_keep_probability(epsilon)
    trials = check_positive_int(trials, "trials")
    rng = resolve_rng(rng)
    rows = []
    for k in report_counts:
        k = check_positive_int(k, "report count")
        bits = rng.integers(0, 2, trials)
        votes = sum(randomized_response(bits, epsilon, rng).astype(np.int64) for _ in range(k))
        coin = rng.integers(0, 2, trials)
        guess = np.where(2 * votes > k, 1, np.where(2 * votes < k, 0, coin))
        correct = stats.binom(k, p)
        # P[more than half the reports are true] + half the probability of a tie (even k)
        theory = correct.sf(k // 2) + (0.5 * correct.pmf(k // 2) if k % 2 == 0 else 0.0)
        rows.append({"reports": k, "measured_success": float(np.mean(guess == bits)),
                     "theoretical_success": float(theory), "total_epsilon": k * epsilon})
    return pd.DataFrame(rows)
