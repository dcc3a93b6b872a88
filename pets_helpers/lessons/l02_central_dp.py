"""Lesson 02 — Central differential privacy on census microdata: exercises and checks.

Privacy unit throughout: one household's record (add/remove-one neighbouring datasets).
"""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..attacks.floating_point import could_produce, naive_laplace_release
from ..dp import (
    classic_gaussian_sigma,
    clipped_sum_sensitivity,
    dp_mean_mse,
    laplace_noise_plan,
)
from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import as_bits, as_float, case_rng, pair_digits, rounding_mistake
from ..grading.namespace import LearnerError
from ..grading.tolerance import FALSE_FAIL

SEED = 20260202


# --- L02.E1: the exact answer in SQL ------------------------------------------------------------
def _sql_test_table() -> pd.DataFrame:
    """A small hand-made households table: several PUMAs, NULL incomes, a loss, a zero."""
    rng = case_rng(SEED, 1)
    pumas = ["01201", "01202", "01203", "01204"]
    rows = []
    for i in range(60):
        puma = pumas[i % 4]
        income = int(rng.integers(-20_000, 250_000)) if rng.random() > 0.2 else None
        rows.append((f"2022HU{i:07d}", puma, "07", income))
    rows.append(("2022HU9999998", "01204", "07", 0))
    rows.append(("2022HU9999999", "01203", "07", 1_000_001))
    return pd.DataFrame(rows, columns=["SERIALNO", "PUMA", "ST", "income"])


def _run_sql(query: str, table: pd.DataFrame) -> pd.DataFrame:
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE TABLE households (SERIALNO TEXT, PUMA TEXT, ST TEXT, income INTEGER)")
        db.executemany("INSERT INTO households VALUES (?, ?, ?, ?)",
                       [tuple(None if pd.isna(v) else v for v in row)
                        for row in table.itertuples(index=False)])
        try:
            cursor = db.execute(query)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            raise Mistake(f"SQLite could not run your query: {exc}. Test it on a small table "
                          "first (one SELECT statement over the table `households`).") from None
        if cursor.description is None:
            raise Mistake("Your query returns no rows or columns: it must be a SELECT.")
        names = [d[0] for d in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=names)
    finally:
        db.close()


def check_mean_income_query(ns):
    query = ns.get("MEAN_INCOME_QUERY")
    if not isinstance(query, str) or not query.strip():
        raise Mistake("MEAN_INCOME_QUERY should be a string holding one SQL SELECT statement.")
    table = _sql_test_table()
    got = _run_sql(query, table)
    known = table.dropna(subset=["income"])
    want = known.groupby("PUMA")["income"].mean()
    if got.shape[1] < 2:
        raise Mistake(f"Your query returns {got.shape[1]} column(s); return the area (PUMA) and "
                      f"its mean income: SELECT PUMA, AVG(income) AS mean_income ….")
    if len(got) != len(want):
        overall = [known["income"].mean(), known["income"].sum() / len(table)]
        first = str(got.iloc[0, 0]) if len(got) == 1 else None
        if len(got) == 1 and first in set(want.index) and any(np.isclose(pd.to_numeric(got.iloc[0, -1], errors="coerce"), v)
                                 for v in overall):
            raise Mistake("Your query returns a single row: the mean over the whole city. Add "
                          "GROUP BY PUMA to get one mean per area.")
        raise Mistake(f"The test table has {len(want)} PUMAs but your query returned "
                      f"{len(got)} rows: group by the area column, PUMA (not ST or SERIALNO), "
                      "and keep one row per PUMA.")
    lower = {c.lower(): c for c in got.columns}
    if "puma" not in lower:
        raise Mistake("Name the area column PUMA in your result (SELECT PUMA, …).")
    area = got[lower["puma"]].astype(str)
    if set(area) != set(want.index):
        raise Mistake(f"The PUMA column of your result holds {sorted(set(area))[:4]}…, not the "
                      f"areas: group by PUMA and select it.")
    mean_col = lower.get("mean_income", got.columns[-1])
    means = pd.to_numeric(got[mean_col], errors="coerce")
    means.index = area
    means = means.reindex(want.index)
    if np.allclose(means, want, rtol=1e-9):
        return ("Exact — and that is the problem: with these means public, anyone who knows "
                "every other household of a small area can solve for the last one's income.")
    with_null = table.assign(income=table["income"].fillna(0)).groupby("PUMA")["income"]
    all_rows = with_null.sum() / with_null.size()
    int_div = known.groupby("PUMA")["income"].sum() // known.groupby("PUMA")["income"].count()
    int_div_all = with_null.sum() // with_null.size()
    if np.allclose(means, all_rows, rtol=1e-9) or np.allclose(means, int_div_all, rtol=1e-9):
        raise Mistake("You divided by COUNT(*) (or treated missing incomes as 0): vacant units "
                      "and group quarters have no income (NULL) and must be left out. AVG(income) "
                      "or SUM(income)/COUNT(income) skips NULLs.")
    if np.allclose(means, int_div, rtol=1e-12) and not np.allclose(means, want, rtol=1e-9):
        raise Mistake("Integer division: in SQLite SUM(income)/COUNT(income) of integers is "
                      "rounded down to an integer. Use AVG(income), or multiply by 1.0 first.")
    differ = ~np.isclose(means, want, rtol=1e-9) | means.isna()
    puma = want.index[np.argmax(differ.to_numpy())]
    got_value = means[puma]
    got_text = "nothing (no row)" if pd.isna(got_value) else f"{got_value:,.6g}"
    raise Mistake("Not the mean income per PUMA over households with a known income. "
                  f"({int(differ.sum())} of {len(want)} areas differ; e.g. PUMA {puma}: expected "
                  f"{want[puma]:,.6g}, got {got_text}.)")


# --- L02.E2: sensitivity of a clipped sum ------------------------------------------------------
SENSITIVITY_CASES = [(0.0, 100_000.0), (-59_999.0, 300_000.0), (-300_000.0, 100_000.0),
                     (10.0, 20.0), (-50.0, -10.0)]


def check_sum_sensitivity(ns):
    for lower, upper in SENSITIVITY_CASES:
        got = as_float(ns.call("sum_sensitivity", lower, upper), "sum_sensitivity")
        want = clipped_sum_sensitivity(lower, upper)
        if math.isclose(got, want, rel_tol=1e-12):
            continue
        case = f"(for bounds [{lower:,.0f}, {upper:,.0f}]: expected {want:,.0f}, got {got:,.0f})"
        if math.isclose(got, upper - lower, rel_tol=1e-12):
            raise Mistake(f"upper − lower is the sensitivity when one record is *replaced* by "
                          f"another. Here a household is added or removed, which moves the sum "
                          f"by its own clipped value: at most max(|lower|, |upper|). {case}")
        if math.isclose(got, upper, rel_tol=1e-12):
            raise Mistake(f"upper alone is not enough when incomes can be negative (net losses): "
                          f"removing a household with income `lower` moves the sum by |lower|, "
                          f"which can exceed upper. {case}")
        if math.isclose(got, 1.0):
            raise Mistake(f"1 is the sensitivity of a *count*; a sum of incomes moves by a whole "
                          f"(clipped) income when one household is added or removed. {case}")
        raise Mistake(f"How far can adding or removing one clipped value move the sum? {case}")
    return ("Δ = max(|lower|, |upper|): clipping is what makes the sensitivity finite — without "
            "it, one billionaire moves the sum by a billion.")


# --- L02.E3: the DP mean ------------------------------------------------------------------------
E3_EPSILON = 1.0
E3_UPPER = 100_000.0
E3_N = 10_000
E3_REPEATS = 400
_COUNT_BOUND = 40.0  # |count noise| ≤ 40 scales except with probability e^-40 per draw


def _e3_data():
    """S1: clipped sum exactly 0 under bounds (-2U, U), with a huge outlier; S2: all values ≥ U
    under bounds (0, U), so the clipped mean is U = Δ (count noise as large as sum noise)."""
    U = E3_UPPER
    rng = case_rng(SEED, 30)
    v = rng.integers(1, int(U), E3_N // 2 - 1).astype(float)
    s1 = np.concatenate([v, -v, [1e9, -U]])
    s1 = s1[rng.permutation(s1.size)]
    s2 = np.concatenate([U + rng.integers(0, int(5 * U), E3_N - 1).astype(float), [1e9]])
    s2 = s2[rng.permutation(s2.size)]
    return s1, (-2 * U, U), s2, (0.0, U)


def _mixture_quantiles(k: int, false_fail: float) -> tuple[float, float]:
    """Two-sided quantiles of Σ_k |L1 - L2|, L1, L2 iid Laplace(1): a Binomial(k, ½) mixture of
    Gamma(k + K, 1) laws (|L1 - L2| is ½ Exp(1) + ½ Gamma(2, 1))."""
    K = np.arange(k + 1)
    w = stats.binom.pmf(K, k, 0.5)

    def cdf(t):
        return float(np.sum(w * stats.gamma.cdf(t, k + K)))

    lo = optimize.brentq(lambda t: cdf(t) - false_fail / 2, 0.1 * k, 3 * k)
    hi = optimize.brentq(lambda t: cdf(t) - (1 - false_fail / 2), 0.5 * k, 5 * k)
    return lo, hi


def _e3_outputs(ns, values, bounds, offset):
    lower, upper = bounds
    return np.array([as_float(ns.call("dp_mean_release", values, lower, upper, E3_EPSILON,
                                       case_rng(SEED, offset + i)), "dp_mean_release")
                     for i in range(E3_REPEATS)])


def check_dp_mean_release(ns):
    s1, b1, s2, b2 = _e3_data()
    a = as_float(ns.call("dp_mean_release", s1, *b1, E3_EPSILON, case_rng(SEED, 7)), "dp_mean_release")
    b = as_float(ns.call("dp_mean_release", s1, *b1, E3_EPSILON, case_rng(SEED, 7)), "dp_mean_release")
    c = as_float(ns.call("dp_mean_release", s1, *b1, E3_EPSILON, case_rng(SEED, 8)), "dp_mean_release")
    if a != b:
        raise Mistake("dp_mean_release gave different answers for the same seeded rng: pass "
                      "`rng` to both laplace_mechanism calls (rng=rng), so that a seed makes the "
                      "release reproducible.")
    if a == c:
        raise Mistake("dp_mean_release gave the same answer for two different seeds: there is "
                      "no noise, or it does not come from `rng`. Add Laplace noise to the sum "
                      "and to the count with laplace_mechanism(..., rng=rng).")

    k, n, eps = E3_REPEATS, E3_N, E3_EPSILON
    ff = FALSE_FAIL / 4  # two scale tests, two mean tests
    count_scale = laplace_noise_plan(1.0, eps / 2, 1).scale
    slack = _COUNT_BOUND * count_scale / n  # the noisy count is n(1 ± slack)
    y1 = _e3_outputs(ns, s1, b1, 1000)
    y2 = _e3_outputs(ns, s2, b2, 2000)
    m1, m2 = 0.0, E3_UPPER  # the clipped means
    scale1 = laplace_noise_plan(clipped_sum_sensitivity(*b1), eps / 2, 1).scale
    scale2 = laplace_noise_plan(clipped_sum_sensitivity(*b2), eps / 2, 1).scale
    sd1 = math.sqrt(2) * scale1 / n
    sd2 = math.sqrt(2 * scale2**2 + 2 * (m2 * count_scale) ** 2) / n
    seen = (f"(over {k} releases at ε = {eps}: test 1 mean {y1.mean():,.1f}, sd {y1.std():,.1f} "
            f"— expected {m1:,.0f} and {sd1:,.1f}; test 2 mean {y2.mean():,.1f}, sd "
            f"{y2.std():,.1f} — expected {m2:,.0f} and {sd2:,.1f})")
    # means (Chebyshev: P[|mean - m| ≥ t] ≤ Var/(k t²), rigorous for any noise law)
    for y, m, sd in ((y1, m1, sd1), (y2, m2, sd2)):
        tol = sd * (1 + 2 * slack) / math.sqrt(k * ff)
        if abs(y.mean() - m) > tol:
            if y.mean() - m > 1000 * sd / math.sqrt(k):
                raise Mistake(f"Your releases are centred far above the mean of the *clipped* "
                              f"incomes: the test data holds one income of $1,000,000,000, and "
                              f"without clipping it shifts the mean by ${1e9 / n:,.0f}. Clip "
                              f"with np.clip(incomes, lower, upper) before summing — the noise "
                              f"is only calibrated for clipped values. {seen}")
            raise Mistake(f"Your releases are not centred on the mean of the clipped incomes: "
                          f"return noisy_sum / max(noisy_count, 1). {seen}")
    # scales: T1 = Σ|y - m|·n/scale ~ Gamma(k) (up to the count's slack), T2 ~ Σ|L1 - L2|
    t1 = float(np.sum(np.abs(y1 - m1)) * n / scale1)
    t2 = float(np.sum(np.abs(y2 - m2)) * n / scale2)
    lo1 = stats.gamma.ppf(ff / 2, k) / (1 + slack) * (1 - 1e-4)
    hi1 = stats.gamma.isf(ff / 2, k) / (1 - slack) * (1 + 1e-4)
    q_lo, q_hi = _mixture_quantiles(k, ff)
    lo2, hi2 = q_lo / (1 + slack) * (1 - 1e-4), q_hi / (1 - slack) * (1 + 1e-4)
    ok1, ok2 = lo1 <= t1 <= hi1, lo2 <= t2 <= hi2
    if ok1 and ok2:
        return ("Noisy sum / noisy count, ε/2 each: ε-DP by sequential composition. The error "
                f"shrinks like 1/n — about ${sd1:,.0f} here for {n:,} households — much less "
                "than local DP's 1/√n.")
    r1, r2 = t1 / k, t2 / (1.5 * k)  # ≈ 1 each when right
    if r1 < 0.1:
        raise Mistake(f"Your noise is far too small for a sum of incomes: the sum's sensitivity "
                      f"is max(|lower|, |upper|) (a whole clipped income), not 1. {seen}")
    if ok1 and t2 < lo2 and 0.8 < t2 / k < 1.25:
        raise Mistake(f"The count seems to be released exactly (no noise): the number of "
                      f"households is private too — adding or removing a household changes "
                      f"it by 1. Release it with laplace_mechanism(n, 1, epsilon / 2, rng). "
                      f"{seen}")
    if t1 < lo1 and 0.35 < r1 < 0.7 and t2 < lo2 and 0.35 < r2 < 0.7:
        raise Mistake(f"Your noise is about half as large as it should be: you gave the full ε "
                      f"to the sum *and* to the count. Two releases of the same data add up "
                      f"(sequential composition), so that spends 2ε in total. Give each ε/2. "
                      f"{seen}")
    if t1 < lo1 and 0.35 < r1 < 0.7 and ok2:
        raise Mistake(f"The sum's noise is too small when |lower| > upper: its sensitivity is "
                      f"max(|lower|, |upper|) (your sum_sensitivity), not upper alone. {seen}")
    if t1 > hi1 and 1.3 < r1 < 1.7:
        raise Mistake(f"The sum's noise is too large when lower < 0: you used upper − lower "
                      f"(the sensitivity for *replacing* a record). Adding or removing a "
                      f"household moves the clipped sum by at most max(|lower|, |upper|). "
                      f"{seen}")
    raise Mistake(f"The spread of your releases does not match Laplace noise with scale "
                  f"Δ/(ε/2) on the clipped sum and 1/(ε/2) on the count. {seen}")


# --- L02.E4: the clipping trade-off -------------------------------------------------------------
def _e4_incomes():
    rng = case_rng(SEED, 40)
    body = rng.lognormal(math.log(60_000), 0.7, 1_990)
    tail = 300_000 * (1 + rng.pareto(2.0, 10))
    return np.round(np.concatenate([body, tail]), 0)


E4_CASES = [(20_000.0, 1.0), (150_000.0, 1.0), (400_000.0, 0.2), (5_000_000.0, 1.0),
            (2_000_000.0, 0.05)]


def check_clipping_mse(ns):
    x = _e4_incomes()
    n, mean = len(x), float(x.mean())
    for upper, eps in E4_CASES:
        got = as_float(ns.call("clipping_mse", x.copy(), upper, eps), "clipping_mse")
        want = dp_mean_mse(n, mean, 0.0, upper, eps, true_values=x)
        if math.isclose(got, want, rel_tol=0.03):
            continue
        bias = float(np.clip(x, 0, upper).mean()) - mean
        variance = dp_mean_mse(n, mean + bias, 0.0, upper, eps)
        case = (f"(upper = {upper:,.0f}, ε = {eps}: expected {want:,.4g} "
                f"= bias² {bias**2:,.4g} + variance {variance:,.4g}; got {got:,.4g})")
        if math.isclose(got, variance, rel_tol=0.03):
            raise Mistake(f"That is the variance only. Clipping also biases the mean "
                          f"(bias = mean(clip(x)) − mean(x)), and MSE = bias² + variance. {case}")
        if math.isclose(got, bias**2, rel_tol=0.03):
            raise Mistake(f"That is the squared bias only; add the variance of the noise, "
                          f"which grows with the upper bound. {case}")
        if math.isclose(got, math.sqrt(want), rel_tol=1e-4):
            raise Mistake(f"That is the root-mean-square error (RMSE, in dollars), the square "
                          f"root of what is asked: return the MSE itself, bias² + variance "
                          f"(in dollars²). {case}")
        if math.isclose(got, abs(bias) + variance, rel_tol=0.03) or \
                math.isclose(got, bias + variance, rel_tol=0.03):
            raise Mistake(f"Square the bias: MSE = bias² + variance (both in dollars²). {case}")
        raise Mistake(f"Not the MSE of the DP mean with bounds [0, upper]. {case}")
    return ("Low bounds: little noise, big bias. High bounds: no bias, big noise. The best bound "
            "sits in between — but it must be chosen from public knowledge, not from these data.")


# --- L02.E6: the floating-point attack ----------------------------------------------------------
FP_EPSILON = 0.5
FP_N = 2_000


def _fp_outputs():
    scale = 1.0 / FP_EPSILON
    y0 = naive_laplace_release(0.0, scale, case_rng(SEED, 50), size=FP_N)
    y1 = naive_laplace_release(1.0, scale, case_rng(SEED, 51), size=FP_N)
    return np.concatenate([y0, y1]), np.r_[np.zeros(FP_N, int), np.ones(FP_N, int)], scale


def check_guess_input(ns):
    y, truth, scale = _fp_outputs()
    got = as_bits(ns.call("guess_input", y.copy(), scale), y.shape, "guess_input",
                  "one guessed input (0 or 1) per output").astype(int)
    r0, r1 = could_produce(y, 0.0, scale), could_produce(y, 1.0, scale)
    only0, only1 = r0 & ~r1, r1 & ~r0
    nearer = (y > 0.5).astype(int)
    tie = y == 0.5
    want = np.where(only1, 1, np.where(only0, 0, nearer))
    ok = ~tie
    tpr, fpr = got[truth == 1].mean(), got[truth == 0].mean()
    ratio = tpr / fpr if fpr > 0 else math.inf
    seen = (f"(your guesses: P[guess 1 | x = 1] = {tpr:.3f}, P[guess 1 | x = 0] = {fpr:.3f}, "
            f"ratio {ratio:.3g} vs e^ε = {math.exp(FP_EPSILON):.3g})")
    if np.array_equal(got[ok], want[ok]):
        return (f"{(only0 | only1).mean():.0%} of the naive outputs name their input with "
                f"certainty: ratio {ratio:.3g} ≫ e^ε = {math.exp(FP_EPSILON):.2f}, so the "
                f"'ε = {FP_EPSILON}' release is not ε-DP at all on a computer.")
    if np.array_equal(got[ok], nearer[ok]):
        raise Mistake(f"That is the threshold guess 'y > 0.5 → 1', the best an attacker can do "
                      f"against the ideal (real-number) Laplace mechanism: its ratio stays below "
                      f"e^ε. The attack must use *which values are possible at all*: ask "
                      f"could_produce(y, 0, scale) and could_produce(y, 1, scale). {seen}")
    if np.array_equal(got[ok], 1 - want[ok]):
        raise Mistake(f"Your labels are inverted: return 1 when only input 1 could have "
                      f"produced the output, 0 when only input 0 could. {seen}")
    if np.array_equal(got[ok], r1.astype(int)[ok]) or \
            np.array_equal(got[ok], (~r0).astype(int)[ok]):
        raise Mistake(f"You test only one input with could_produce. Many outputs are "
                      f"possible from both inputs; use both tests: 1 if only x = 1 can "
                      f"produce y, 0 if only x = 0 can, else the nearer input. {seen}")
    ident = only0 | only1
    if not np.array_equal(got[ident], want[ident]):
        raise Mistake(f"Some outputs that only one input can produce get the other guess: "
                      f"compare could_produce(y, 0, scale) with could_produce(y, 1, scale). "
                      f"{seen}")
    raise Mistake(f"For outputs that both inputs can produce, guess the nearer input "
                  f"(1 if y > 0.5, else 0): that is the likelihood-ratio guess. {seen}")


# --- L02.E5: the classic Gaussian σ -------------------------------------------------------------
SIGMA_CASES = [(1.0, 0.5, 1e-5), (100_000.0, 0.1, 1e-6), (3.0, 0.9, 1e-3), (2.0, 0.25, 1e-9)]


#: ε outside the range the classic theorem is proven for: the answer must refuse them.
SIGMA_REFUSED = [(1.0, 1.0, 1e-5), (2.0, 3.0, 1e-6)]


def check_classic_sigma(ns):
    for sens, eps, delta in SIGMA_REFUSED:
        try:
            got = ns.call("classic_sigma", sens, eps, delta)
        except LearnerError as exc:
            if exc.ename == "ValueError":
                continue
            if exc.ename == "NotDoneYet":
                raise
            raise Mistake(f"For ε = {eps} your classic_sigma raised {exc.ename}; a value "
                          f"outside the theorem's range is a wrong *value*: raise ValueError "
                          f"(saying that the classic calibration needs ε < 1).") from None
        raise Mistake(f"For ε = {eps} (Δ = {sens:g}, δ = {delta:g}) your classic_sigma returned "
                      f"{got!r:.40}. The classic calibration is proven only for ε < 1, and for "
                      f"larger ε it is not guaranteed to give (ε, δ)-DP: a library must refuse "
                      f"(raise ValueError) rather than release noise that may be too small.")
    for sens, eps, delta in SIGMA_CASES:
        got = as_float(ns.call("classic_sigma", sens, eps, delta), "classic_sigma")
        want = classic_gaussian_sigma(sens, eps, delta)
        if math.isclose(got, want, rel_tol=1e-9):
            continue
        mine, exact = pair_digits(got, want)
        case = f"(Δ = {sens:g}, ε = {eps}, δ = {delta:g}: expected {exact}, got {mine})"
        rounded = rounding_mistake(got, want, "classic_sigma")
        if rounded:
            raise Mistake(f"{rounded} {case}")
        if math.isclose(got, want**2, rel_tol=1e-9):
            raise Mistake(f"That is σ², the variance: the mechanism is N(0, σ²) and the function "
                          f"returns the standard deviation σ = Δ·sqrt(2 ln(1.25/δ))/ε. {case}")
        root = math.sqrt(2 * math.log(1.25 / delta))
        if math.isclose(got, sens * 2 * math.log(1.25 / delta) / eps, rel_tol=1e-9):
            raise Mistake(f"The square root is missing: σ = Δ·sqrt(2 ln(1.25/δ))/ε. {case}")
        if math.isclose(got, sens * math.sqrt(2 * math.log(1 / delta)) / eps, rel_tol=1e-9):
            raise Mistake(f"It is ln(1.25/δ), not ln(1/δ): the 1.25 comes from the proof and "
                          f"makes σ slightly larger. {case}")
        if math.isclose(got, sens * root / eps**2, rel_tol=1e-9):
            raise Mistake(f"Divide by ε, not ε²: σ scales like 1/ε (the variance like 1/ε²). "
                          f"{case}")
        if math.isclose(got, sens * math.sqrt(2 * math.log10(1.25 / delta)) / eps, rel_tol=1e-9):
            raise Mistake(f"Use the natural logarithm (np.log), not log10. {case}")
        raise Mistake(f"Not σ = Δ·sqrt(2 ln(1.25/δ))/ε. {case}")
    return ("Dwork & Roth's σ, proven for ε < 1 only. The analytic Gaussian (Balle & Wang) is "
            "exact for every ε and always needs less noise.")


HINT_SQL = (
    "One row per area: that is what GROUP BY does. SQL's aggregate functions skip NULLs.",
    "SELECT PUMA, AVG(income) … FROM households … GROUP BY PUMA; AVG ignores NULL incomes "
    "(COUNT(*) would not).",
    "MEAN_INCOME_QUERY = \"SELECT PUMA, AVG(income) AS mean_income FROM households "
    "WHERE income IS NOT NULL GROUP BY PUMA ORDER BY PUMA\"",
)
HINT_SENS = (
    "Neighbouring datasets differ by one household added or removed. How much can the sum of "
    "clipped incomes change?",
    "The change is the clipped income itself, anywhere in [lower, upper]; its largest absolute "
    "value is at one of the two ends.",
    "return max(abs(lower), abs(upper))",
)
HINT_MEAN = (
    "Three steps: clip, release two noisy numbers (sum and count), divide. Half of ε for each.",
    "clipped = np.clip(incomes, lower, upper); noisy_sum = laplace_mechanism(clipped.sum(), "
    "max(abs(lower), abs(upper)), epsilon / 2, rng=rng); the count has sensitivity 1.",
    "noisy_count = laplace_mechanism(len(clipped), 1, epsilon / 2, rng=rng); "
    "return noisy_sum / max(noisy_count, 1)",
)
HINT_CLIP = (
    "MSE = bias² + variance. The bias comes from clipping, the variance from the noise.",
    "bias = np.mean(np.clip(incomes, 0, upper)) - np.mean(incomes). For the variance, use the "
    "formula of section 4 with m the clipped mean: the sum's noise has sensitivity upper and "
    "budget ε/2, the count's sensitivity 1 and budget ε/2.",
    "Laplace noise of scale b = Δ/ε has variance 2b² (dp.laplace_mse(Δ, ε) computes it). "
    "Divide σ_S² + m²σ_C² by n², add bias²; both terms are in dollars².",
)
HINT_GUESS = (
    "could_produce(outputs, x, scale) says, for every output, whether input x can produce "
    "exactly that double. Ask it for x = 0 and for x = 1.",
    "If only x = 1 can produce y, guess 1; if only x = 0 can, guess 0; if both can, the "
    "nearer input is the likelihood-ratio guess.",
    "r0, r1 = could_produce(outputs, 0, scale), could_produce(outputs, 1, scale); "
    "return np.where(r1 & ~r0, 1, np.where(r0 & ~r1, 0, (outputs > 0.5).astype(int)))",
)
HINT_SIGMA = (
    "The classic calibration (Dwork & Roth, Theorem A.1) has a square root of a logarithm of δ.",
    "σ = Δ · sqrt(2 ln(1.25/δ)) / ε, with the natural logarithm — and the theorem assumes "
    "ε < 1.",
    "First refuse what the theorem does not cover: if epsilon >= 1, raise ValueError with a "
    "message. Otherwise return the σ of the formula (a standard deviation, not a variance).",
)

LESSON = Lesson("L02", "Central differential privacy on census microdata", "02_central_dp", (
    Exercise("L02.E1", "The exact answer in SQL", 1, check_mean_income_query, HINT_SQL),
    Exercise("L02.E2", "Sensitivity of a clipped sum", 2, check_sum_sensitivity, HINT_SENS,
             shortcuts=("pets_helpers.dp:clipped_sum_sensitivity",)),
    Exercise("L02.E3", "A DP mean: noisy sum / noisy count", 3, check_dp_mean_release,
             HINT_MEAN,
             shortcuts=("pets_helpers.dp:dp_mean",)),
    Exercise("L02.E4", "The clipping trade-off", 2, check_clipping_mse, HINT_CLIP,
             shortcuts=("pets_helpers.dp:dp_mean_mse",)),
    Exercise("L02.E5", "The classic Gaussian σ", 2, check_classic_sigma, HINT_SIGMA,
             shortcuts=("pets_helpers.dp:classic_gaussian_sigma",)),
    Exercise("L02.E6", "The floating-point attack", 2, check_guess_input, HINT_GUESS,
             shortcuts=("pets_helpers.attacks.floating_point:distinguishing_attack",)),
))
