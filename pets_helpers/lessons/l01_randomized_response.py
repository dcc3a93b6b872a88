"""Lesson 01 — Randomized response and local differential privacy: exercises and checks.

Privacy unit throughout: one user's one report.
"""

from __future__ import annotations

import math

import numpy as np

from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import as_array, as_bits, as_float, case_rng, pair_digits, rounding_mistake
from ..grading.tolerance import FALSE_FAIL, binomial_acceptance
from ..ldp import (OptimizedUnaryEncoding, oracle_variances, rr_estimate,
                   rr_keep_probability, rr_variance)

SEED = 20261122



def _within(count: int, n: int, prob: float, false_fail: float) -> bool:
    if prob >= 1.0:
        return count == n
    if prob <= 0.0:
        return count == 0
    lo, hi = binomial_acceptance(n, prob, false_fail)
    return lo <= count <= hi


def _check_reproducible(ns, name: str, *args) -> None:
    a = np.asarray(ns.call(name, *args, case_rng(SEED, 7)))
    b = np.asarray(ns.call(name, *args, case_rng(SEED, 7)))
    c = np.asarray(ns.call(name, *args, case_rng(SEED, 8)))
    if not np.array_equal(a, b):
        raise Mistake(f"{name} gave different answers for the same seeded rng: draw every "
                      "random number from the `rng` argument (e.g. rng.random(n)), not from "
                      "np.random or random, so results are reproducible under a seed.")
    if np.array_equal(a, c):
        raise Mistake(f"{name} gave identical reports for two different seeds: it does not "
                      "seem to use `rng` at all. Draw the coin flips with rng.random(...).")


# --- L01.E1: Warner's randomized response --------------------------------------------------
def check_randomized_response(ns):
    n = 100_000
    bits = np.r_[np.ones(n, np.int8), np.zeros(n, np.int8)]
    bits = bits[case_rng(SEED, 1).permutation(2 * n)]
    tests = [(1.0, 11), (0.3, 12)]
    ff = FALSE_FAIL / (2 * len(tests))
    for eps, offset in tests:
        reports = as_bits(ns.call("randomized_response", bits.copy(), eps, case_rng(SEED, offset)),
                          bits.shape, "randomized_response", "one reported bit per user")
        p = rr_keep_probability(eps)
        kept = {b: int(np.sum(reports[bits == b] == b)) for b in (0, 1)}
        if all(_within(kept[b], n, p, ff) for b in (0, 1)):
            continue
        rates = {b: kept[b] / n for b in (0, 1)}
        seen = f"(measured at ε={eps}: ones kept {rates[1]:.3f}, zeros kept {rates[0]:.3f}, " \
               f"expected {p:.3f} for both)"
        if kept[0] == n and kept[1] == n:
            raise Mistake(f"Every report equals the true bit: there is no randomization, so "
                          f"nothing is hidden. Keep each bit with probability e^ε/(1+e^ε) and "
                          f"flip it otherwise. {seen}")
        if all(_within(kept[b], n, 1 - p, ff) for b in (0, 1)):
            raise Mistake(f"You keep the bit with probability 1/(1+e^ε): that is the *flip* "
                          f"probability. Keep with e^ε/(1+e^ε) and flip with 1/(1+e^ε). {seen}")
        wrong_p = eps / (1 + eps)
        if all(_within(kept[b], n, wrong_p, ff) for b in (0, 1)):
            raise Mistake(f"You keep the bit with probability ε/(1+ε); the exponent is missing. "
                          f"It must be e^ε/(1+e^ε) (np.exp(epsilon)). {seen}")
        if abs(rates[0] - rates[1]) > 0.02:
            raise Mistake(f"Ones and zeros are kept with different probabilities. Randomized "
                          f"response must treat both answers alike — otherwise a 1 and a 0 "
                          f"are told apart by more than e^ε. {seen}")
        raise Mistake(f"The reports are not kept with probability e^ε/(1+e^ε). {seen}")
    _check_reproducible(ns, "randomized_response", bits[:1000].copy(), 1.0)
    return ("Each report is ε-LDP: P[report | 1] / P[report | 0] ≤ p/(1-p) = e^ε, whatever "
            "the report is.")


# --- L01.E2: the unbiased estimator -----------------------------------------------------
ESTIMATE_CASES = [(1.0, 600, 1000), (0.5, 3_000, 10_000), (1.0, 200, 1000), (2.0, 150, 400)]


def check_rr_estimate(ns):
    for eps, ones, n in ESTIMATE_CASES:
        reports = np.r_[np.ones(ones, np.int8), np.zeros(n - ones, np.int8)]
        got = as_float(ns.call("rr_estimate", reports, eps), "rr_estimate")
        want = rr_estimate(reports, eps)
        if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            continue
        p, y = rr_keep_probability(eps), ones / n
        q = 1 - p
        shown, exact = pair_digits(got, want)
        case = f"(for {ones} ones in {n} reports at ε={eps}: expected {exact}, got {shown})"
        rounded = rounding_mistake(got, want, "rr_estimate")
        if rounded:
            raise Mistake(f"{rounded} {case}")
        if math.isclose(got, y, abs_tol=1e-12):
            raise Mistake(f"You returned the raw fraction of 'yes' reports. It is biased towards "
                          f"1/2 by the flips: solve E[y] = πp + (1-π)(1-p) for π. {case}")
        if math.isclose(got, min(max(want, 0.0), 1.0), abs_tol=1e-12):
            raise Mistake(f"Do not clip the estimate to [0, 1]: an unbiased estimate can be "
                          f"negative (or above 1) when the truth is near 0 (or 1), and clipping "
                          f"biases it. {case}")
        if math.isclose(got, y - q, abs_tol=1e-12):
            raise Mistake(f"You removed the (1-p) offset but did not divide by (2p-1), the "
                          f"factor by which the flips shrink the signal. {case}")
        pw = 1 / (1 + math.exp(eps))
        if math.isclose(got, (y - (1 - pw)) / (2 * pw - 1), rel_tol=1e-9, abs_tol=1e-12):
            raise Mistake(f"You used p = 1/(1+e^ε) (the flip probability) in the estimator; "
                          f"p, the keep probability, is e^ε/(1+e^ε). {case}")
        raise Mistake(f"That is not the unbiased estimate (y - (1-p)) / (2p - 1). {case}")
    return "π̂ is unbiased but noisy: its noise shrinks like 1/√n, and grows fast as ε → 0."


# --- L01.E3: the estimator's variance -----------------------------------------------------
VARIANCE_CASES = [(1000, 1.0, 0.3), (50_000, 0.5, 0.9), (200, 3.0, 0.5), (10_000, 1.5, 0.05)]


def check_rr_variance(ns):
    for n, eps, pi in VARIANCE_CASES:
        got = as_float(ns.call("rr_variance", n, eps, pi), "rr_variance")
        want = rr_variance(n, eps, pi)
        if math.isclose(got, want, rel_tol=1e-9):
            continue
        p = rr_keep_probability(eps)
        lam = pi * p + (1 - pi) * (1 - p)
        shown, exact = pair_digits(got, want)
        case = f"(n={n}, ε={eps}, π={pi}: expected {exact}, got {shown})"
        rounded = rounding_mistake(got, want, "rr_variance")
        if rounded:
            raise Mistake(f"{rounded} {case}")
        if math.isclose(got, math.sqrt(want), rel_tol=1e-9):
            raise Mistake(f"That is the standard deviation; the variance is its square. {case}")
        if math.isclose(got, pi * (1 - pi) / n, rel_tol=1e-9):
            raise Mistake(f"π(1-π)/n is the variance without any randomization: it leaves out "
                          f"the noise that the flips add. {case}")
        if math.isclose(got, lam * (1 - lam) / n, rel_tol=1e-9):
            raise Mistake(f"λ(1-λ)/n is the variance of the fraction of 'yes' reports, but the "
                          f"estimate divides that fraction by (2p-1): divide the variance by "
                          f"(2p-1)². {case}")
        if math.isclose(got, p * (1 - p) / (n * (2 * p - 1) ** 2), rel_tol=1e-9):
            raise Mistake(f"p(1-p)/(n(2p-1)²) counts only the coin flips. Each report is 1 with "
                          f"probability λ = πp + (1-π)(1-p), so use λ(1-λ) instead of p(1-p). "
                          f"{case}")
        raise Mistake(f"Not yet: a report is 1 with probability λ = πp + (1-π)(1-p); find the "
                      f"variance of the mean of n such reports, then of π̂. {case}")
    return ("Var = λ(1-λ)/(n(2p-1)²): for small ε, 2p-1 ≈ ε/2, so the variance grows like "
            "1/(nε²).")


# --- L01.E4 and E5: optimized unary encoding ----------------------------------------------
def _oue_variants(eps):
    e = math.exp(eps)
    half = math.exp(eps / 2)
    return {
        "OUE": (0.5, 1 / (e + 1)),
        "SUE": (half / (half + 1), 1 / (half + 1)),
        "none": (1.0, 0.0),
        "exp": (0.5, 1 / e),
    }


def check_oue_perturb(ns):
    d, per_item = 6, 10_000
    n = d * per_item
    values = case_rng(SEED, 20).permutation(np.repeat(np.arange(d), per_item))
    tests = [(1.0, 21), (2.5, 22)]
    ff = FALSE_FAIL / (2 * len(tests))
    for eps, offset in tests:
        reports = as_bits(ns.call("oue_perturb", values.copy(), d, eps, case_rng(SEED, offset)),
                          (n, d), "oue_perturb", "one row of d report bits per user")
        ones_true = int(reports[np.arange(n), values].sum())
        ones_other = int(reports.sum()) - ones_true
        variants = _oue_variants(eps)
        fits = {name: _within(ones_true, n, pv, ff) and _within(ones_other, n * (d - 1), qv, ff)
                for name, (pv, qv) in variants.items()}
        if fits["OUE"]:
            continue
        p, q = variants["OUE"]
        seen = (f"(measured at ε={eps}: true bit is 1 in {ones_true / n:.3f} of reports, other "
                f"bits in {ones_other / (n * (d - 1)):.3f}; expected {p:.3f} and {q:.3f})")
        if fits["none"]:
            raise Mistake(f"The reports are the exact one-hot encodings: no privacy at all. "
                          f"Keep the true 1 with probability 1/2 and turn each 0 into a 1 with "
                          f"probability 1/(e^ε+1). {seen}")
        if fits["SUE"]:
            raise Mistake(f"That is symmetric unary encoding (basic RAPPOR): every bit is "
                          f"randomized alike with ε/2 each. OUE is asymmetric: the true 1 stays "
                          f"1 w.p. 1/2 while each 0 becomes 1 w.p. 1/(e^ε+1), which lowers the "
                          f"variance. {seen}")
        if fits["exp"]:
            raise Mistake(f"A 0 should become 1 with probability 1/(e^ε+1), not e^-ε. {seen}")
        raise Mistake(f"The bits are not randomized as OUE prescribes. {seen}")
    _check_reproducible(ns, "oue_perturb", values[:600].copy(), d, 1.0)
    return ("With p = 1/2 and q = 1/(e^ε+1), OUE's variance 4e^ε/(n(e^ε-1)²) does not depend "
            "on the domain size.")


OUE_CASES = [(1.0, 5, 4000, 31), (0.5, 8, 3000, 32), (3.0, 4, 2000, 33)]


def check_oue_estimate(ns):
    for eps, d, n, offset in OUE_CASES:
        oracle = OptimizedUnaryEncoding(eps, d)
        values = case_rng(SEED, offset).integers(0, d, n)
        reports = oracle.perturb(values, case_rng(SEED, offset + 100)).astype(np.int8)
        want = oracle.estimate(reports)
        got = as_array(ns.call("oue_estimate", reports.copy(), eps), (d,), "oue_estimate",
                       "one estimate per item")
        if np.allclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        case = f"(at ε={eps}, d={d}: expected {np.round(want, 3)}, got {np.round(got, 3)})"
        mean = reports.mean(axis=0)
        _, q_sue = _oue_variants(eps)["SUE"]
        p_sue = 1 - q_sue
        if np.allclose(got, mean, atol=1e-12):
            raise Mistake(f"These are the raw fractions of 1-bits per item; remove the bias of "
                          f"the false 1s: (mean - q)/(p - q). {case}")
        if np.allclose(got, (mean - q_sue) / (p_sue - q_sue), rtol=1e-9):
            raise Mistake(f"You de-biased with the symmetric (SUE) probabilities; OUE uses "
                          f"p = 1/2 and q = 1/(e^ε+1). {case}")
        if np.isclose(got.sum(), 1.0) and not np.isclose(want.sum(), 1.0):
            raise Mistake(f"Do not normalize the estimates to sum to 1 (or clip them): each "
                          f"unbiased estimate stays as it is, negatives included. {case}")
        raise Mistake(f"Not the unbiased OUE estimate (mean - q)/(p - q). {case}")
    return "Same recipe as for one bit: observed rate minus false-positive rate, over p - q."


# --- L01.E6: choosing an oracle ------------------------------------------------------------
GRID = [(eps, d) for eps in (0.5, 1.0, 2.0, 4.0) for d in (2, 4, 8, 16, 64, 1024)]


def check_best_oracle(ns):
    for eps, d in GRID:
        answer = ns.call("best_oracle", eps, d)
        if not isinstance(answer, str) or answer.strip().upper() not in ("GRR", "OUE", "OLH"):
            raise Mistake(f"best_oracle should return one of 'GRR', 'OUE', 'OLH'; for ε={eps}, "
                          f"d={d} it returned {answer!r}.")
        answer = answer.strip().upper()
        var = oracle_variances(eps, d)
        best = min(var.values())
        if var[answer] <= best * 1.02:  # OUE and OLH tie up to OLH's rounding of g
            continue
        winner = min(var, key=var.get)
        ratio = var[answer] / best
        if answer == "GRR":
            raise Mistake(f"For ε={eps} and d={d}, GRR's variance is {ratio:.1f}× {winner}'s: "
                          f"GRR's noise grows with the domain (its variance has a d - 2 term), "
                          f"so for large domains use OUE or OLH.")
        raise Mistake(f"For ε={eps} and d={d}, {answer}'s variance is {ratio:.1f}× GRR's: when "
                      f"d < 3e^ε + 2, reporting the item itself (GRR) is the most accurate.")
    return "GRR wins when d < 3e^ε + 2; beyond that OUE and OLH tie, and OLH's reports are smaller."


HINT_RR = (
    "Draw one uniform number per user with rng.random(len(bits)) and compare it to a "
    "probability.",
    "The probability of telling the truth is p = e^ε / (1 + e^ε) (np.exp).",
    "keep = rng.random(len(bits)) < p; then np.where(keep, bits, 1 - bits).",
)
HINT_EST = (
    "Write the expected fraction of 'yes' reports y in terms of the true fraction π and p.",
    "E[y] = πp + (1-π)(1-p) = (1-p) + π(2p-1). Solve for π.",
    "return (np.mean(reports) - (1 - p)) / (2 * p - 1) with p = e^ε/(1+e^ε).",
)
HINT_VAR = (
    "Each report is an independent coin: 1 with probability λ. What is λ in terms of π and p?",
    "λ = πp + (1-π)(1-p); the mean of n such reports has variance λ(1-λ)/n.",
    "The estimate is (mean - (1-p)) / (2p-1), so its variance is λ(1-λ) / (n (2p-1)²).",
)
HINT_OUE_P = (
    "Start from the one-hot encoding: an (n, d) array of zeros with a 1 at each user's item.",
    "Every 1 stays 1 with probability p = 1/2; every 0 becomes 1 with probability "
    "q = 1/(e^ε+1). Draw u = rng.random((n, d)).",
    "np.where(onehot == 1, u < 0.5, u < q).astype(np.int8)",
)
HINT_OUE_E = (
    "Column j's mean is the fraction of reports whose bit j is 1.",
    "E[mean_j] = f_j p + (1 - f_j) q, with p = 1/2, q = 1/(e^ε+1). Solve for f_j.",
    "return (reports.mean(axis=0) - q) / (p - q)",
)
HINT_BEST = (
    "Compare the variances: GRR (e^ε + d - 2)/(e^ε - 1)², OUE and OLH 4e^ε/(e^ε - 1)².",
    "GRR's variance is smaller exactly when d < 3e^ε + 2.",
    "return 'GRR' if d < 3 * np.exp(epsilon) + 2 else 'OLH' (or 'OUE': they tie in variance).",
)

LESSON = Lesson("L01", "Randomized response and local differential privacy",
                "01_randomized_response", (
    Exercise("L01.E1", "Warner's randomized response", 2, check_randomized_response, HINT_RR,
             shortcuts=("pets_helpers.ldp:randomized_response",)),
    Exercise("L01.E2", "The unbiased estimator", 2, check_rr_estimate, HINT_EST,
             shortcuts=("pets_helpers.ldp:rr_estimate",)),
    Exercise("L01.E3", "The estimator's variance", 2, check_rr_variance, HINT_VAR,
             shortcuts=("pets_helpers.ldp:rr_variance",)),
    Exercise("L01.E4", "Optimized unary encoding: the client", 3, check_oue_perturb, HINT_OUE_P,
             shortcuts=("pets_helpers.ldp:OptimizedUnaryEncoding.perturb",)),
    Exercise("L01.E5", "Optimized unary encoding: the server", 2, check_oue_estimate, HINT_OUE_E,
             shortcuts=("pets_helpers.ldp.base:FrequencyOracle.estimate",)),
    Exercise("L01.E6", "Choosing an oracle", 2, check_best_oracle, HINT_BEST,
             shortcuts=("pets_helpers.ldp:best_oracle",)),
))
