"""Lesson 03 — Composition and privacy accounting: exercises and checks.

Exercises
- L03.E1 (2 pts): ``compose(epsilon, delta, k, delta_prime)``: the tighter of sequential and
  advanced (Dwork–Rothblum–Vadhan) composition.
- L03.E2 (2 pts): ``gaussian_sigma_for_budget(sensitivity, k, epsilon, delta)``: the smallest σ
  for k Gaussian releases within (ε, δ), through zCDP (the rules run backwards).
- L03.E3 (2 pts): ``release_counts(accountant, counts, epsilon_each, rng)``: spend, then release,
  stop at the first refusal.
- L03.E4 (3 pts): ``reconstruct_secret(queries, answers)``: the Dinur–Nissim attack by least
  squares.
- L03.E5 (1 pt): ``collapse_noise(n, m, noise_levels, trials, rng)``: where the attack collapses.
- L03.E6 (3 pts): ``allocate(total_epsilon, queries)``: a dashboard's budget, or "impossible".

References come from :mod:`pets_helpers.accounting` and :mod:`pets_helpers.attacks`, on inputs
that differ from the notebook's, so answers hard-coded for the notebook fail.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..accounting import (
    DashboardQuery,
    PrivacyAccountant,
    advanced_composition,
    allocate_budget,
    compose_rho,
    gaussian_rho,
    laplace_epsilon_for_error,
    rho_to_epsilon_simple,
)
from ..attacks.reconstruction import (
    answer_queries,
    make_secret_column,
    noise_std,
    random_subset_queries,
    reconstruct,
    reconstruction_accuracy,
)
from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import as_array, as_bits, case_rng, is_number, rounding_mistake
from ..grading.namespace import LearnerError
from ..grading.tolerance import FALSE_FAIL, z_score

SEED = 20260303




def _close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=rel,
                                                                  abs_tol=1e-15)


# --- L03.E1: advanced composition ----------------------------------------------------------
ADVANCED_CASES = [(0.1, 1e-7, 100, 1e-5), (0.01, 0.0, 10_000, 1e-6), (1.0, 1e-6, 10, 1e-6),
                  (0.5, 0.0, 3, 1e-3), (0.05, 1e-8, 400, 1e-7)]


def _advanced_variants(eps, delta, k, dp):
    root = math.sqrt(2 * k * math.log(1 / dp)) * eps
    tail = k * eps * math.expm1(eps)
    return root, tail


def check_advanced_composition(ns):
    for eps, delta, k, dp in ADVANCED_CASES:
        case = f"(ε={eps}, δ={delta:g}, k={k}, δ'={dp:g})"
        try:
            got = ns.call("compose", eps, delta, k, dp)
        except LearnerError as exc:
            if exc.ename == "ValueError" and "math domain" in exc.evalue:
                raise Mistake(f"math.sqrt got a negative number {case}: ln(δ') is negative for "
                              f"δ' < 1. The bound has ln(1/δ') = -ln(δ') under the root.") from None
            raise
        adv_eps, adv_delta = advanced_composition(eps, delta, k, dp)
        seq_eps, seq_delta = k * eps, k * delta
        advanced_wins = adv_eps < seq_eps
        want_eps, want_delta = (adv_eps, adv_delta) if advanced_wins else (seq_eps, seq_delta)
        if is_number(got):
            raise Mistake(f"compose returned one number ({float(got):.4g}); it must "
                          f"return the pair (ε_total, δ_total): composition costs δ too. {case}")
        if not isinstance(got, (tuple, list)) or len(got) != 2 or not all(map(is_number, got)):
            raise Mistake(f"compose should return a pair of numbers "
                          f"(ε_total, δ_total), got {got!r:.80}. {case}")
        g_eps, g_delta = float(got[0]), float(got[1])
        if _close(g_eps, want_eps) and _close(g_delta, want_delta):
            continue
        if advanced_wins and _close(g_eps, seq_eps) and _close(g_delta, seq_delta):
            raise Mistake(f"kε = {seq_eps:g} is a valid bound, but advanced composition gives "
                          f"{adv_eps:.4g} here: for many small releases the √k term wins. "
                          f"Return the tighter of the two. {case}")
        if not advanced_wins and _close(g_eps, adv_eps) and _close(g_delta, adv_delta):
            raise Mistake(f"Advanced composition gives ε = {adv_eps:.4g} here, but plain "
                          f"sequential composition gives only kε = {seq_eps:g} (with δ = kδ): "
                          f"for few or large-ε releases the √(2k ln(1/δ')) and kε(e^ε − 1) "
                          f"terms cost more than they save. Return the tighter bound. {case}")
        if not _close(g_eps, want_eps) and _close(g_eps, want_delta) and _close(g_delta, want_eps):
            raise Mistake(f"You swapped the pair: return (ε_total, δ_total) — ε first, then δ — "
                          f"as every (ε, δ) in the course is written. {case}")
        for value, right, what in ((g_eps, want_eps, "ε_total"), (g_delta, want_delta, "δ_total")):
            rounded = rounding_mistake(value, right, what) if not _close(value, right) else None
            if rounded:
                raise Mistake(f"{rounded} {case}")
        if not advanced_wins:
            raise Mistake(f"Here sequential composition is the tighter bound: (kε, kδ) = "
                          f"({seq_eps:g}, {seq_delta:g}). {case}")
        root, tail = _advanced_variants(eps, delta, k, dp)
        seen = f"{case}: expected ({want_eps:.6g}, {want_delta:.3g}), got ({g_eps:.6g}, {g_delta:.3g})"
        if not math.isfinite(g_eps):
            raise Mistake(f"ε_total is {g_eps}: did you take ln(δ') instead of ln(1/δ')? "
                          f"ln(δ') < 0, so its square root is not a number. {seen}")
        if not _close(g_eps, want_eps):
            if _close(g_eps, root):
                raise Mistake(f"Your ε_total is only the √(2k ln(1/δ'))·ε term: the second term "
                              f"kε(e^ε − 1) is missing. It is what makes advanced composition "
                              f"worse than kε for large ε. {seen}")
            if _close(g_eps, root / math.sqrt(2) + tail):
                raise Mistake(f"The factor 2 under the square root is missing: the first term is "
                              f"√(2k·ln(1/δ'))·ε. {seen}")
            if _close(g_eps, root + eps * math.expm1(eps)):
                raise Mistake(f"The second term needs the factor k: kε(e^ε − 1), one ε(e^ε − 1) "
                              f"per release. {seen}")
            if _close(g_eps, math.sqrt(2 * k * math.log(1 / dp)) * eps + k * eps * math.exp(eps)):
                raise Mistake(f"The second term is kε(e^ε − 1) (np.expm1 or np.exp(ε) - 1), "
                              f"not kεe^ε. {seen}")
            raise Mistake(f"ε_total should be √(2k ln(1/δ'))·ε + kε(e^ε − 1). {seen}")
        if not _close(g_delta, want_delta):
            if _close(g_delta, dp):
                raise Mistake(f"δ_total forgets the kδ of the k releases themselves: it is "
                              f"kδ + δ', each release may fail with probability δ. {seen}")
            if _close(g_delta, k * delta):
                raise Mistake(f"δ_total forgets δ', the extra failure probability that buys the "
                              f"√k behaviour: it is kδ + δ'. {seen}")
            raise Mistake(f"δ_total should be kδ + δ'. {seen}")
    seq = 10_000 * 0.01
    adv = advanced_composition(0.01, 0.0, 10_000, 1e-6)[0]
    return (f"Right. For 10,000 releases at ε = 0.01 each, kε = {seq:g} but advanced composition "
            f"gives {adv:.2f} (δ' = 1e-6) — about √k·ε instead of k·ε. For 3 releases it is worse "
            f"than kε: always take the smaller valid bound.")


# --- L03.E2: Gaussian noise for a budget, through zCDP ----------------------------------------
#: (sensitivity Δ, releases k, total ε, δ)
GAUSSIAN_CASES = [(1.0, 10, 1.0, 1e-6), (1.0, 100, 2.0, 1e-6), (3.0, 1, 0.5, 1e-5),
                  (2.0, 1000, 5.0, 1e-8), (1.5, 37, 0.8, 1e-7)]


def gaussian_sigma_reference(sensitivity, k, epsilon, delta) -> float:
    """The smallest σ for which k Gaussian releases are (ε, δ)-DP by zCDP composition and the
    simple conversion: solve ρ + 2√(ρ ln(1/δ)) = ε for ρ, then ρ = kΔ²/(2σ²) for σ."""
    log_term = math.log(1 / delta)
    rho = (math.sqrt(log_term + epsilon) - math.sqrt(log_term)) ** 2
    return sensitivity * math.sqrt(k / (2 * rho))


def _total_epsilon(sigma, sensitivity, k, delta) -> float:
    return rho_to_epsilon_simple(compose_rho([gaussian_rho(sensitivity, sigma)] * k), delta)


def check_gaussian_sigma(ns):
    for sens, k, eps, delta in GAUSSIAN_CASES:
        got = ns.call("gaussian_sigma_for_budget", sens, k, eps, delta)
        case = f"(Δ={sens}, k={k}, total ε={eps}, δ={delta:g})"
        if not is_number(got):
            raise Mistake(f"gaussian_sigma_for_budget should return one number (σ), got "
                          f"{type(got).__name__}. {case}")
        got = float(got)
        want = gaussian_sigma_reference(sens, k, eps, delta)
        if _close(got, want, rel=1e-6):
            continue
        seen = f"{case}: the smallest σ is {want:.8g}, you returned {got:.8g}"
        if not math.isfinite(got) or got <= 0:
            raise Mistake(f"σ must be a positive number; yours is {got}. {seen}")
        rounded = rounding_mistake(got, want, "gaussian_sigma_for_budget")
        if rounded:
            raise Mistake(f"{rounded} {seen}")
        log_term = math.log(1 / delta)
        rho_one = (math.sqrt(log_term + eps) - math.sqrt(log_term)) ** 2
        if k > 1 and _close(got, sens * math.sqrt(1 / (2 * rho_one)), rel=1e-6):
            raise Mistake(f"That σ makes ONE release cost the whole budget; there are k = {k}. "
                          f"zCDP adds ρ over releases, so the budget's ρ must be shared: "
                          f"kΔ²/(2σ²) = ρ, σ grows like √k. {seen}")
        if _close(got, sens * math.sqrt(k / (2 * eps)), rel=1e-6):
            raise Mistake(f"You set ρ = ε: but ρ-zCDP is not ε-DP. Convert: ρ-zCDP gives "
                          f"(ρ + 2√(ρ ln(1/δ)), δ)-DP — solve that for the ρ whose ε is the "
                          f"budget (a quadratic in √ρ). {seen}")
        if _close(got, sens * math.sqrt(k / rho_one), rel=1e-6):
            raise Mistake(f"ρ of one Gaussian release is Δ²/(2σ²) — the 1/2 is missing when "
                          f"you solved for σ. {seen}")
        classic = k * sens * math.sqrt(2 * math.log(1.25 * k / delta)) / eps
        if _close(got, classic, rel=1e-6):
            raise Mistake(f"That is the classic Gaussian σ for ε/k and δ/k per release "
                          f"(sequential composition): valid when ε/k < 1, but it spends far "
                          f"more noise than zCDP needs. Compose in zCDP instead. {seen}")
        spent = _total_epsilon(got, sens, k, delta)
        if spent > eps * (1 + 1e-6):
            raise Mistake(f"Too little noise: with σ = {got:.6g}, the {k} releases cost "
                          f"ε = {spent:.6g} in total (zCDP, simple conversion) — more than the "
                          f"budget {eps:g}. {seen}")
        raise Mistake(f"Valid but wasteful: σ = {got:.6g} keeps the {k} releases within the "
                      f"budget (ε = {spent:.6g} ≤ {eps:g}), but less noise would too — the "
                      f"exercise asks for the smallest σ, the one whose total is exactly the "
                      f"budget. (Solving ρ + 2√(ρ ln(1/δ)) = ε exactly is possible: it is a "
                      f"quadratic in √ρ.) {seen}")
    sigma = gaussian_sigma_reference(1.0, 100, 2.0, 1e-6)
    classic = 100 * math.sqrt(2 * math.log(1.25 * 100 / 1e-6)) / 2.0
    return (f"Right. For 100 counts within (ε = 2, δ = 1e-6), zCDP needs σ = {sigma:.1f} per "
            f"count; splitting the budget sequentially with the classic calibration would need "
            f"σ ≈ {classic:.0f} — zCDP buys the same guarantee with far less noise.")


# --- L03.E3: an accountant in front of every release ----------------------------------------
COUNTS_A = [120, 45, 300, 8, 77]


def _call_release(ns, accountant, counts, eps_each, rng):
    try:
        got = ns.call("release_counts", accountant, list(counts), eps_each, rng)
    except LearnerError as exc:
        if exc.ename == "BudgetExceeded":
            raise Mistake("release_counts let a BudgetExceeded escape: the accountant refused a "
                          "spend, which is how it says 'stop'. Wrap accountant.spend(...) in "
                          "try/except BudgetExceeded and stop releasing (break) when it is "
                          "refused; return what was released so far.") from None
        raise
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mistake(f"release_counts should return a pair (released, accountant), got "
                      f"{type(got).__name__}.")
    released, acc = got
    if not isinstance(acc, PrivacyAccountant):
        raise Mistake(f"The second value returned should be the accountant (a PrivacyAccountant), "
                      f"got {type(acc).__name__}.")
    try:
        values = np.asarray(released, dtype=float)
    except (TypeError, ValueError):
        raise Mistake("The first value returned should be a list (or array) of the released "
                      "numbers.") from None
    if values.ndim != 1:
        raise Mistake(f"released should be a flat list of numbers, got shape {values.shape}.")
    if not np.all(np.isfinite(values)):
        raise Mistake("released holds NaN or infinite values: only return the counts you "
                      "actually released (stop at the first refusal).")
    return values, acc


def check_release_counts(ns):
    # A: a fresh budget of 1.0, 0.3 per count: three fit, the fourth is refused.
    acc0 = PrivacyAccountant(1.0)
    values, acc = _call_release(ns, acc0, COUNTS_A, 0.3, case_rng(SEED, 31))
    new = acc.ledger
    case = "(PrivacyAccountant(1.0), 5 counts, ε_each = 0.3)"
    if acc.total_epsilon != 1.0:
        raise Mistake(f"The returned accountant has a total of {acc.total_epsilon:g}, not 1.0: "
                      f"use (and return) the accountant you were given, not a new one. {case}")
    if not new:
        raise Mistake(f"The ledger is empty: you released {len(values)} counts without charging "
                      f"the accountant. Call accountant.spend(epsilon_each, ...) for every count, "
                      f"before releasing it. {case}")
    if len(values) == len(new) + 1:
        raise Mistake(f"You released {len(values)} counts but the ledger holds only {len(new)} "
                      f"spends: the last count went out before its spend was refused. Spend "
                      f"FIRST, release only if the spend succeeded. {case}")
    if len(new) != 3 or len(values) != 3:
        raise Mistake(f"With a budget of 1.0 and 0.3 per count exactly 3 counts fit (0.9), so 3 "
                      f"should be released with 3 spends in the ledger; you released "
                      f"{len(values)} with {len(new)} spends. {case}")
    if any(not math.isclose(e.epsilon, 0.3, rel_tol=1e-12) or e.delta != 0 for e in new):
        raise Mistake(f"Each spend should be (ε = 0.3, δ = 0); the ledger holds "
                      f"{[(round(e.epsilon, 6), e.delta) for e in new]}. {case}")
    if not math.isclose(acc.remaining[0], 0.1, abs_tol=1e-9):
        raise Mistake(f"The accountant should report 0.1 remaining, it reports "
                      f"{acc.remaining[0]:.6g}. {case}")
    if np.array_equal(values, np.asarray(COUNTS_A[:3], dtype=float)):
        raise Mistake(f"The released values are exactly the true counts: no noise was added. "
                      f"Add Laplace noise of scale 1/ε_each to each count. {case}")
    # B: an accountant that already paid for an earlier release.
    acc0 = PrivacyAccountant(2.0)
    acc0.spend(0.5, label="earlier release")
    values, acc = _call_release(ns, acc0, list(range(10, 20)), 0.4, case_rng(SEED, 32))
    labels = [e.label for e in acc.ledger]
    case = "(an accountant with 2.0 in total, 0.5 already spent; ε_each = 0.4)"
    if not labels or labels[0] != "earlier release":
        raise Mistake(f"The earlier spend vanished from the ledger: keep using the accountant "
                      f"you were given — it may already have paid for other releases. {case}")
    if len(values) != 3 or len(acc.ledger) != 4:
        raise Mistake(f"1.5 is left and each count costs 0.4, so exactly 3 counts fit; you "
                      f"released {len(values)} with {len(acc.ledger) - 1} new spends. {case}")
    # C: the noise: scale 1/ε, centred, drawn from rng.
    n, eps = 400, 0.5
    counts = np.arange(1000, 1000 + n)
    values, acc = _call_release(ns, PrivacyAccountant(1000.0), counts.tolist(), eps, case_rng(SEED, 33))
    if len(values) != n:
        raise Mistake(f"With a budget of 1000 and ε_each = {eps}, all {n} counts fit, but you "
                      f"released {len(values)}.")
    noise = values - counts
    b = 1 / eps
    ff = FALSE_FAIL / 2
    # Σ|noise|/b ~ Gamma(n, 1) exactly for Laplace noise of scale b.
    lo, hi = stats.gamma(n).ppf(ff / 2) * b / n, stats.gamma(n).isf(ff / 2) * b / n
    mean_abs = float(np.mean(np.abs(noise)))
    if not lo <= mean_abs <= hi:
        seen = f"(mean |noise| over {n} counts at ε_each = {eps}: {mean_abs:.3f}, expected ≈ {b:g})"
        if np.all(noise == 0):
            raise Mistake(f"No noise was added: released values equal the counts. {seen}")
        if abs(mean_abs - eps) < abs(mean_abs - b):
            raise Mistake(f"The noise is too small: its scale must be Δ/ε = 1/ε_each (here 2), "
                          f"not ε_each (0.5). Smaller ε means MORE noise. {seen}")
        raise Mistake(f"The noise does not look like Laplace noise of scale 1/ε_each: "
                      f"|noise| should average 1/ε_each. {seen}")
    half = z_score(ff / 2) * math.sqrt(2) * b / math.sqrt(n)  # ff/2: Laplace tails, n = 400
    if abs(float(np.mean(noise))) > half:
        raise Mistake(f"The noise is not centred on 0 (its mean over {n} counts is "
                      f"{np.mean(noise):.2f}): use rng.laplace(0, 1/epsilon_each), which is "
                      f"symmetric, so the released counts stay unbiased.")
    a1, _ = _call_release(ns, PrivacyAccountant(10.0), counts[:20].tolist(), 0.5, case_rng(SEED, 34))
    a2, _ = _call_release(ns, PrivacyAccountant(10.0), counts[:20].tolist(), 0.5, case_rng(SEED, 34))
    a3, _ = _call_release(ns, PrivacyAccountant(10.0), counts[:20].tolist(), 0.5, case_rng(SEED, 35))
    if not np.array_equal(a1, a2):
        raise Mistake("release_counts gave different values for the same seeded rng: draw the "
                      "noise from the `rng` argument (rng.laplace(...)), not from np.random.")
    if np.array_equal(a1, a3):
        raise Mistake("release_counts gave identical values for two different seeds: it does not "
                      "seem to use `rng`. Draw the noise with rng.laplace(0, 1/epsilon_each).")
    return ("Right: every release was paid for before it happened, the refused one never went "
            "out, and the ledger shows exactly what the public has seen. This order — spend, "
            "then release — is how OpenDP, Tumult and diffprivlib's BudgetAccountant work too.")


# --- L03.E4: the reconstruction attack -----------------------------------------------------
RECON_CASES = [  # (n, m, noise scale, mechanism, offset)
    (100, 400, 5.0, "uniform", 41),
    (120, 300, 2.0, "laplace", 42),
    (100, 400, 0.0, "uniform", 43),
    (150, 600, 1.0, "gaussian", 44),
]


def _as_guess(value, n: int, xhat: np.ndarray) -> np.ndarray:
    unit = "one bit per person (queries has one column per person)"
    arr = as_array(value, (n,), "reconstruct_secret", unit)
    if not np.isin(arr, (0, 1)).all() and np.allclose(arr, xhat, atol=1e-6):
        raise Mistake("You returned the least-squares solution itself (real numbers near 0 "
                      "and 1). The secret is a bit: round it — (x > 0.5).astype(int).")
    return as_bits(arr, (n,), "reconstruct_secret",
                   unit + "; round the least-squares solution at 1/2")


def check_reconstruct_secret(ns):
    for n, m, scale, mech, offset in RECON_CASES:
        gen = case_rng(SEED, offset)
        secret = make_secret_column(n, gen)
        queries = random_subset_queries(n, m, gen)
        answers = answer_queries(queries, secret, scale, gen, mechanism=mech)
        case = f"(n = {n} people, m = {m} queries, {mech} noise of scale {scale:g})"
        try:
            raw = ns.call("reconstruct_secret", queries.copy(), answers.copy())
        except LearnerError as exc:
            words = ("dimension", "shape", "align", "mismatch")
            if exc.ename in ("LinAlgError", "ValueError") and any(w in exc.evalue for w in words):
                raise Mistake(f"Your function raised {exc.ename}: {exc.evalue}. queries is m × n "
                              f"(one row per query, one column per person) and answers has m "
                              f"entries: solve queries @ x ≈ answers, i.e. "
                              f"np.linalg.lstsq(queries, answers) — not queries.T. {case}") from None
            raise
        xhat = np.linalg.lstsq(queries.astype(float), answers, rcond=None)[0]
        guess = _as_guess(raw, n, xhat)
        got = reconstruction_accuracy(secret, guess)
        ref = reconstruction_accuracy(secret, reconstruct(queries, answers))
        if got >= ref - 0.02:
            continue
        seen = f"{case}: your guess is right for {got:.0%} of people, least squares gets {ref:.0%}"
        if np.all(guess == guess[0]):
            raise Mistake(f"Every person got the same bit ({guess[0]}): that is no better than "
                          f"guessing. Solve for one x_j per person, then round each. {seen}")
        if np.mean(guess == (xhat > 0)) > 0.97:
            raise Mistake(f"You rounded at 0: people whose secret is 0 have x̂ near 0, about half "
                          f"of them slightly positive. Round at 1/2 (x > 0.5). {seen}")
        raise Mistake(f"Your reconstruction is less accurate than least squares rounded at 1/2. "
                      f"{seen}")
    return ("Right: from noisy counts alone you recovered almost every secret bit. Least squares "
            "errs on person j by about N(0, 4σ²/(m − n)), so with m = 4n queries the attack "
            "survives noise up to a few times √n.")


# --- L03.E5: where does the attack collapse? -----------------------------------------------
COLLAPSE_THRESHOLD = 0.6


def _collapse_grid(n: int) -> list:
    """12 uniform-noise bounds E around the collapse (0.6–2.5 × √(3n))."""
    return [round(float(v), 2) for v in np.geomspace(0.6, 2.5, 12) * math.sqrt(3 * n)]


COLLAPSE_CASES = [  # (n, m, grid of uniform noise bounds E, trials, offset)
    (60, 240, _collapse_grid(60), 2, 51),
    (80, 320, _collapse_grid(80), 1, 52),
    (50, 100, _collapse_grid(50), 2, 53),
]
#: Calls per case with the same seed: an answer that ignores ``rng`` rarely repeats itself.
COLLAPSE_REPEATS = 3


def _first_below(table, column: str):
    below = table[table[column] < COLLAPSE_THRESHOLD]
    return None if below.empty else float(below["noise"].iloc[0])


def collapse_reference(n, m, levels, trials, offset) -> tuple:
    """(measured, predicted): the first level below the threshold in the measurement that
    ``accuracy_vs_noise`` makes with the check's seeded rng, and in its ``predicted`` column."""
    from ..attacks.reconstruction import accuracy_vs_noise

    table = accuracy_vs_noise(n, m, list(levels), trials=trials, rng=case_rng(SEED, offset))
    return _first_below(table, "accuracy_mean"), _first_below(table, "predicted")


def check_collapse_noise(ns):
    for n, m, levels, trials, offset in COLLAPSE_CASES:
        answers = []
        for _ in range(COLLAPSE_REPEATS):
            got = ns.call("collapse_noise", n, m, list(levels), trials, case_rng(SEED, offset))
            case = f"(n = {n}, m = {m}, noise levels {levels}, {trials} trial(s))"
            if not is_number(got):
                raise Mistake(f"collapse_noise should return one number — a noise level from "
                              f"the grid — got {type(got).__name__} {got!r:.60}. {case}")
            answers.append(float(got))
        measured, predicted = collapse_reference(n, m, levels, trials, offset)
        got = answers[0]
        seen = f"{case}: the measurement with the rng you were given crosses at {measured:g}, " \
               f"you returned {got:g}"
        if len(set(answers)) > 1:
            raise Mistake(f"Called {COLLAPSE_REPEATS} times with generators seeded alike, your "
                          f"collapse_noise returned {', '.join(f'{a:g}' for a in answers)}: it "
                          f"ignores the `rng` it is given (it draws fresh randomness each "
                          f"time). Pass it on — accuracy_vs_noise(..., rng=rng) — so that a "
                          f"measurement can be reproduced and checked. {seen}")
        if math.isclose(got, measured, rel_tol=1e-9):
            continue
        if predicted is not None and math.isclose(got, predicted, rel_tol=1e-9):
            raise Mistake(f"{got:g} is where the *predicted* column (the theory "
                          f"Φ(√(m−n)/(4σ))) crosses {COLLAPSE_THRESHOLD}, not the measurement. "
                          f"The point of the exercise is to measure: use accuracy_mean, the "
                          f"accuracy the attack actually reached. {seen}")
        k = levels.index(measured) if measured in levels else None
        if k and math.isclose(got, levels[k - 1], rel_tol=1e-9):
            raise Mistake(f"{got:g} is the last level where the attack still works (accuracy "
                          f"≥ {COLLAPSE_THRESHOLD}); return the FIRST level at which the mean "
                          f"accuracy drops below {COLLAPSE_THRESHOLD}. {seen}")
        if float(got).is_integer() and 0 <= int(got) < len(levels) and not any(
                math.isclose(got, lv) for lv in levels):
            raise Mistake(f"You returned the position {int(got)} in the grid; return the noise "
                          f"level itself (the `noise` column). {seen}")
        for level in levels:
            std = noise_std(level, "uniform")
            if math.isclose(got, std / math.sqrt(n), rel_tol=1e-6):
                raise Mistake(f"That is noise_over_sqrt_n (std/√n) — useful for the plot, but "
                              f"return the noise level E from the grid (the `noise` column). "
                              f"{seen}")
            if math.isclose(got, std, rel_tol=1e-6):
                raise Mistake(f"That is the noise standard deviation E/√3; return the noise "
                              f"level E from the grid (the `noise` column). {seen}")
        if not any(math.isclose(got, lv, rel_tol=1e-9) for lv in levels):
            raise Mistake(f"Return one of the noise levels you were given. {seen}")
        raise Mistake(f"That is not what accuracy_vs_noise(n, m, noise_levels, trials=trials, "
                      f"rng=rng) measures with the generator you were given: run exactly that "
                      f"measurement (with `rng`, not a generator of your own) and return the "
                      f"first `noise` whose `accuracy_mean` is below {COLLAPSE_THRESHOLD}. "
                      f"{seen}")
    return ("Right — and note that on these small problems the measured collapse comes earlier "
            "than the theory Φ(√(m − n)/(4σ)) predicts: a model is a hypothesis until measured.")


# --- L03.E6: allocating a dashboard's budget ------------------------------------------------
def _q(name, sensitivity, error, confidence):
    return {"name": name, "sensitivity": sensitivity, "error": error, "confidence": confidence}


def _near_miss_case():
    """Two queries whose targets need exactly 1.02 × a total of 0.5."""
    share = 1.02 * 0.5 / 2
    return ("a dashboard 2% over budget", 0.5, [
        _q("trips", 2, 2 * math.log(1 / (1 - 0.95)) / share, 0.95),
        _q("zone_heatmap", 1, math.log(1 / (1 - 0.9)) / share, 0.9)])


ALLOCATION_CASES = [  # (label, total ε, queries)
    ("a bus-network dashboard", 1.0, [
        _q("riders", 1, 40, 0.95), _q("taps", 6, 150, 0.95),
        _q("stop_heatmap", 1, 12, 0.9), _q("minutes_on_board", 120, 8000, 0.9)]),
    ("a tight bike-share dashboard", 0.55, [
        _q("rentals", 3, 30, 0.5), _q("station_heatmap", 1, 8, 0.9),
        _q("km_ridden", 20, 600, 0.99)]),
    ("a dashboard with a precise heatmap", 1.0, [
        _q("riders", 1, 40, 0.95), _q("stop_heatmap", 1, 3, 0.99)]),
    _near_miss_case(),
]


def _reference(total, queries):
    return allocate_budget(total, [DashboardQuery(q["name"], q["sensitivity"],
                                                  target_error=q["error"],
                                                  confidence=q["confidence"])
                                   for q in queries], spread="none")


def check_allocate(ns):
    for label, total, queries in ALLOCATION_CASES:
        got = ns.call("allocate", total, [dict(q) for q in queries])
        ref = _reference(total, queries)
        mins = {q["name"]: laplace_epsilon_for_error(q["sensitivity"], q["error"],
                                                     q["confidence"]) for q in queries}
        case = (f"(on {label}: total ε = {total:g}; the targets need at least "
                f"{ref.required_epsilon:.4g})")
        if isinstance(got, str):
            if got.strip().lower() != "impossible":
                raise Mistake(f"allocate should return a dict name → ε, or exactly the string "
                              f"'impossible'; got {got!r}. {case}")
            if ref.feasible:
                raise Mistake(f"You answered 'impossible', but the smallest ε meeting each "
                              f"target add up to {ref.required_epsilon:.4g} ≤ {total:g}: the "
                              f"design is feasible. Compute each minimal ε = "
                              f"Δ·ln(1/(1 − confidence))/error and compare their sum with the "
                              f"total. {case}")
            continue
        if not isinstance(got, dict):
            raise Mistake(f"allocate should return a dict {{query name: ε}} or the string "
                          f"'impossible'; got {type(got).__name__}. {case}")
        if not ref.feasible:
            spent = sum(float(v) for v in got.values() if is_number(v))
            raise Mistake(f"These targets need ε = {ref.required_epsilon:.4g} in total, more "
                          f"than the {total:g} available, so the design is impossible — yet you "
                          f"returned an allocation (spending {spent:.4g}). Check Σ ε_min ≤ total "
                          f"and return 'impossible' when it fails. {case}")
        names = [q["name"] for q in queries]
        if sorted(map(str, got)) != sorted(names):
            raise Mistake(f"The dict should have exactly one entry per query, keyed by name: "
                          f"{names}; got keys {sorted(map(str, got))}. {case}")
        if not all(is_number(got[k]) and math.isfinite(float(got[k])) and float(got[k]) > 0
                   for k in names):
            raise Mistake(f"Every ε must be a finite number > 0; got {got}. {case}")
        eps = {k: float(got[k]) for k in names}
        short = [k for k in names if eps[k] < mins[k] * (1 - 1e-9)]
        if short:
            qs = {q["name"]: q for q in queries}
            ratio = [eps[k] * qs[k]["error"] / qs[k]["sensitivity"] for k in names]
            lns = [math.log(1 / (1 - qs[k]["confidence"])) for k in names]
            same = all(math.isclose(r, ratio[0], rel_tol=1e-6) for r in ratio)
            k = short[0]
            q = qs[k]
            cover = 1 - math.exp(-q["error"] * eps[k] / q["sensitivity"])
            detail = (f"'{k}' gets ε = {eps[k]:.4g}, so P[|noise| ≤ {q['error']:g}] = "
                      f"1 − e^(−error·ε/Δ) = {cover:.3f} < {q['confidence']:g}")
            if same and math.isclose(ratio[0], math.sqrt(2), rel_tol=1e-6):
                raise Mistake(f"You set ε = √2·Δ/error, which makes the noise's standard "
                              f"deviation equal to the error — but a Laplace draw exceeds one "
                              f"standard deviation 24% of the time (e^−√2), far more often than "
                              f"1 − confidence allows. Use P[|Lap(Δ/ε)| ≤ t] = 1 − e^(−tε/Δ) ≥ c, "
                              f"i.e. ε ≥ Δ·ln(1/(1−c))/t. {detail}. {case}")
            if same and len(set(round(v, 9) for v in lns)) > 1:
                raise Mistake(f"Your ε is proportional to Δ/error for every query, ignoring the "
                              f"confidence: a 99% target needs more ε than a 90% one. Use "
                              f"ε ≥ Δ·ln(1/(1−c))/error. {detail}. {case}")
            raise Mistake(f"Not every query meets its target: {detail}. Give each query at least "
                          f"Δ·ln(1/(1−c))/error. {case}")
        spent = math.fsum(eps.values())
        if spent > total * (1 + 1e-9):
            raise Mistake(f"Your ε add up to {spent:.6g}, more than the total {total:g}: the "
                          f"queries are answered on the same people, so their ε add up "
                          f"(sequential composition). Spend at most the total. {case}")
    return ("Right. The heatmap costs one ε however many cells it has, because each person "
            "falls in one cell (parallel composition); what breaks a budget is precision: "
            "halving an error doubles its ε.")


# --- the lesson -----------------------------------------------------------------------------
LESSON = Lesson("L03", "Composition and privacy accounting", "03_composition", (
    Exercise("L03.E1", "The tighter composition bound", 2, check_advanced_composition, (
        "Two valid bounds, compute both: sequential (kε, kδ) and advanced. Then decide which "
        "to report. For advanced, two terms make up ε_total — one grows like √k, the other "
        "like k — and the δ of every release still adds up.",
        "ε_total = √(2k·ln(1/δ'))·ε + k·ε·(e^ε − 1) and δ_total = k·δ + δ'. Use math.log and "
        "math.expm1 (or math.exp(ε) − 1).",
        "Compute both pairs and return the one with the smaller ε_total. Which wins depends "
        "on k and ε: try k = 3 and k = 10,000 at ε = 0.1 to see both.",
    ), shortcuts=("pets_helpers.accounting:advanced_composition",)),
    Exercise("L03.E2", "Gaussian noise for a budget", 2, check_gaussian_sigma, (
        "Work backwards: the budget (ε, δ) fixes the largest total ρ you may spend; k equal "
        "Gaussian releases share it; each release's ρ fixes its σ.",
        "ρ-zCDP gives ε = ρ + 2√(ρ ln(1/δ)). With u = √ρ this is u² + 2u√L − ε = 0 (L = "
        "ln(1/δ)): a quadratic you can solve exactly for its positive root.",
        "From the positive root u, the total ρ is u²; k releases of ρ = Δ²/(2σ²) each must add "
        "up to it — solve that for σ.",
    ), shortcuts=("pets_helpers.accounting:epsilon_to_rho",
                  "pets_helpers.accounting:gaussian_sigma_for_rho")),
    Exercise("L03.E3", "Spend, then release", 2, check_release_counts, (
        "The order matters: ask the accountant first; only if it agrees may the count go out. "
        "When it refuses it raises BudgetExceeded.",
        "Loop over the counts: inside try, accountant.spend(epsilon_each, label=...); in "
        "`except BudgetExceeded: break`; after a successful spend append count + "
        "rng.laplace(0, 1 / epsilon_each).",
        "released = []; for i, c in enumerate(counts): try: accountant.spend(epsilon_each, "
        "label=f'count {i}') except BudgetExceeded: break; released.append(c + rng.laplace(0, "
        "1 / epsilon_each)). Then return released, accountant.",
    )),
    Exercise("L03.E4", "Reconstruct the secret column", 3, check_reconstruct_secret, (
        "The answers are a ≈ Q·x with Q the m × n 0/1 query matrix and x the secret bits: find "
        "the x that explains the answers best.",
        "Least squares: x̂ = argmin ‖Qx − a‖² is np.linalg.lstsq(queries, answers, rcond=None)[0]. "
        "It is real-valued; each secret is a bit.",
        "x = np.linalg.lstsq(queries, answers, rcond=None)[0]; return (x > 0.5).astype(int)",
    ), shortcuts=("pets_helpers.attacks.reconstruction:reconstruct",)),
    Exercise("L03.E5", "Where the attack collapses", 1, check_collapse_noise, (
        "The library measures the attack for you: accuracy_vs_noise returns one row per noise "
        "level.",
        "table = accuracy_vs_noise(n, m, noise_levels, trials=trials, rng=rng); keep the rows "
        "whose accuracy_mean is below 0.6.",
        "Filter the rows whose accuracy_mean (the measurement, not the predicted column) is "
        "below 0.6, and return the noise value of the first of them as a float.",
    )),
    Exercise("L03.E6", "Allocate a dashboard's budget", 3, check_allocate, (
        "First find the smallest ε that meets each query's target on its own; then ask whether "
        "they fit in the total together.",
        "|Laplace(Δ/ε)| is exponential: P[|noise| ≤ error] = 1 − e^(−error·ε/Δ). Setting it ≥ "
        "confidence gives ε_min = Δ·ln(1/(1 − confidence))/error. The queries compose "
        "sequentially: feasible iff Σ ε_min ≤ total.",
        "mins = {q['name']: q['sensitivity'] * math.log(1 / (1 - q['confidence'])) / q['error'] "
        "for q in queries}; return 'impossible' if sum(mins.values()) > total_epsilon else mins "
        "(or scale them all up by total/sum to use the whole budget).",
    ), shortcuts=("pets_helpers.accounting:allocate_budget",)),
))
