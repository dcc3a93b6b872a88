"""Right and typical wrong answers to Lesson 03's exercises."""

import math

import numpy as np

from pets_helpers.accounting import BudgetExceeded
from pets_helpers.attacks.reconstruction import accuracy_vs_noise


# --- E1: the tighter of sequential and advanced composition ----------------------------------
def compose_right(epsilon, delta, k, delta_prime):
    advanced = advanced_right(epsilon, delta, k, delta_prime)
    return min((k * epsilon, k * delta), advanced, key=lambda pair: pair[0])


def compose_numpy(epsilon, delta, k, delta_prime):  # also right: numpy, returns a list
    adv = advanced_numpy(epsilon, delta, k, delta_prime)
    return adv if adv[0] < k * epsilon else [k * epsilon, k * delta]


def compose_always_sequential(epsilon, delta, k, delta_prime):
    return k * epsilon, k * delta


def _tighter(wrong_advanced):
    """A learner who compares correctly but got the advanced formula wrong."""
    def compose(epsilon, delta, k, delta_prime):
        got = wrong_advanced(epsilon, delta, k, delta_prime)
        return got if not isinstance(got, (tuple, list)) or not got[0] >= k * epsilon else (k * epsilon, k * delta)
    return compose


def advanced_right(epsilon, delta, k, delta_prime):
    eps = math.sqrt(2 * k * math.log(1 / delta_prime)) * epsilon + k * epsilon * (
        math.exp(epsilon) - 1)
    return eps, k * delta + delta_prime


def advanced_numpy(epsilon, delta, k, delta_prime):  # also right: numpy, returns a list
    return [np.sqrt(2 * k * np.log(1 / delta_prime)) * epsilon
            + k * epsilon * np.expm1(epsilon), k * delta + delta_prime]


def advanced_no_second_term(epsilon, delta, k, delta_prime):
    return math.sqrt(2 * k * math.log(1 / delta_prime)) * epsilon, k * delta + delta_prime


def advanced_log_delta(epsilon, delta, k, delta_prime):
    eps = math.sqrt(2 * k * math.log(delta_prime)) * epsilon + k * epsilon * math.expm1(epsilon)
    return eps, k * delta + delta_prime


def advanced_log_delta_numpy(epsilon, delta, k, delta_prime):
    with np.errstate(invalid="ignore"):
        eps = np.sqrt(2 * k * np.log(delta_prime)) * epsilon + k * epsilon * np.expm1(epsilon)
    return eps, k * delta + delta_prime


def advanced_no_two(epsilon, delta, k, delta_prime):
    eps = math.sqrt(k * math.log(1 / delta_prime)) * epsilon + k * epsilon * math.expm1(epsilon)
    return eps, k * delta + delta_prime


def advanced_only_epsilon(epsilon, delta, k, delta_prime):
    return advanced_right(epsilon, delta, k, delta_prime)[0]


def advanced_no_k_delta(epsilon, delta, k, delta_prime):
    return advanced_right(epsilon, delta, k, delta_prime)[0], delta_prime


# --- E2: Gaussian noise for a budget -------------------------------------------------------
def sigma_right(sensitivity, k, epsilon, delta):
    log_term = math.log(1 / delta)
    rho = (math.sqrt(log_term + epsilon) - math.sqrt(log_term)) ** 2
    return sensitivity * math.sqrt(k / (2 * rho))


def sigma_bisection(sensitivity, k, epsilon, delta):
    """Also right: search σ numerically with the library's conversion."""
    from pets_helpers.accounting import gaussian_rho, rho_to_epsilon_simple

    lo, hi = 1e-6, 1e9
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if rho_to_epsilon_simple(k * gaussian_rho(sensitivity, mid), delta) > epsilon:
            lo = mid
        else:
            hi = mid
    return hi


def sigma_one_release(sensitivity, k, epsilon, delta):
    return sigma_right(sensitivity, 1, epsilon, delta)


def sigma_rho_is_eps(sensitivity, k, epsilon, delta):
    return sensitivity * math.sqrt(k / (2 * epsilon))


def sigma_no_half(sensitivity, k, epsilon, delta):
    return sigma_right(sensitivity, k, epsilon, delta) * math.sqrt(2)


def sigma_classic_split(sensitivity, k, epsilon, delta):
    return sensitivity * math.sqrt(2 * math.log(1.25 / (delta / k))) / (epsilon / k)


def sigma_too_small(sensitivity, k, epsilon, delta):
    return 0.5 * sigma_right(sensitivity, k, epsilon, delta)


def sigma_rounded(sensitivity, k, epsilon, delta):
    return round(sigma_right(sensitivity, k, epsilon, delta), 2)


# --- E3: spend, then release -----------------------------------------------------------------
def release_right(accountant, counts, epsilon_each, rng):
    released = []
    for i, count in enumerate(counts):
        try:
            accountant.spend(epsilon_each, label=f"count {i}")
        except BudgetExceeded:
            break
        released.append(count + rng.laplace(0, 1 / epsilon_each))
    return released, accountant


def release_can_spend(accountant, counts, epsilon_each, rng):  # also right
    out = []
    for count in counts:
        if not accountant.can_spend(epsilon_each):
            break
        accountant.spend(epsilon_each, label="count")
        out.append(float(count + rng.laplace(0.0, 1.0 / epsilon_each)))
    return np.array(out), accountant


def release_no_spending(accountant, counts, epsilon_each, rng):
    return [c + rng.laplace(0, 1 / epsilon_each) for c in counts], accountant


def release_before_spending(accountant, counts, epsilon_each, rng):
    released = []
    for count in counts:
        released.append(count + rng.laplace(0, 1 / epsilon_each))
        try:
            accountant.spend(epsilon_each)
        except BudgetExceeded:
            break
    return released, accountant


def release_uncaught(accountant, counts, epsilon_each, rng):
    released = []
    for count in counts:
        accountant.spend(epsilon_each)
        released.append(count + rng.laplace(0, 1 / epsilon_each))
    return released, accountant


def release_scale_epsilon(accountant, counts, epsilon_each, rng):
    released = []
    for count in counts:
        try:
            accountant.spend(epsilon_each)
        except BudgetExceeded:
            break
        released.append(count + rng.laplace(0, epsilon_each))
    return released, accountant


def release_no_noise(accountant, counts, epsilon_each, rng):
    released = []
    for count in counts:
        try:
            accountant.spend(epsilon_each)
        except BudgetExceeded:
            break
        released.append(count)
    return released, accountant


def release_new_accountant(accountant, counts, epsilon_each, rng):
    from pets_helpers.accounting import PrivacyAccountant
    return release_right(PrivacyAccountant(accountant.total_epsilon), counts, epsilon_each, rng)


def release_global_random(accountant, counts, epsilon_each, rng):
    released = []
    for count in counts:
        try:
            accountant.spend(epsilon_each)
        except BudgetExceeded:
            break
        released.append(count + np.random.laplace(0, 1 / epsilon_each))
    return released, accountant


# --- E4: reconstruction ----------------------------------------------------------------------
def reconstruct_right(queries, answers):
    x = np.linalg.lstsq(queries, answers, rcond=None)[0]
    return (x > 0.5).astype(int)


def reconstruct_pinv(queries, answers):  # also right
    return np.round(np.linalg.pinv(queries.astype(float)) @ answers).clip(0, 1).astype(np.int8)


def reconstruct_not_rounded(queries, answers):
    return np.linalg.lstsq(queries, answers, rcond=None)[0]


def reconstruct_threshold_zero(queries, answers):
    x = np.linalg.lstsq(queries, answers, rcond=None)[0]
    return (x > 0).astype(int)


def reconstruct_transposed(queries, answers):
    x = np.linalg.lstsq(queries.T, answers, rcond=None)[0]
    return (x > 0.5).astype(int)


def reconstruct_mean(queries, answers):
    x = np.linalg.lstsq(queries, answers, rcond=None)[0]
    return np.full(queries.shape[1], int(x.mean() > 0.5))


# --- E5: collapse ----------------------------------------------------------------------------
def collapse_predicted(n, m, noise_levels, trials, rng):
    """Reads the theory column instead of the measurement."""
    table = accuracy_vs_noise(n, m, noise_levels, trials=trials, rng=rng)
    return float(table.loc[table["predicted"] < 0.6, "noise"].iloc[0])


def collapse_own_rng(n, m, noise_levels, trials, rng):
    """Ignores the generator it is given."""
    table = accuracy_vs_noise(n, m, noise_levels, trials=trials, rng=np.random.default_rng())
    return float(table.loc[table["accuracy_mean"] < 0.6, "noise"].iloc[0])


def advanced_swapped(epsilon, delta, k, delta_prime):
    eps_total, delta_total = advanced_right(epsilon, delta, k, delta_prime)
    return delta_total, eps_total


def advanced_rounded(epsilon, delta, k, delta_prime):
    eps_total, delta_total = advanced_right(epsilon, delta, k, delta_prime)
    return round(eps_total, 3), delta_total

def collapse_right(n, m, noise_levels, trials, rng):
    table = accuracy_vs_noise(n, m, noise_levels, trials=trials, rng=rng)
    below = table[table["accuracy_mean"] < 0.6]
    return float(below["noise"].iloc[0])


def collapse_last_working(n, m, noise_levels, trials, rng):
    table = accuracy_vs_noise(n, m, noise_levels, trials=trials, rng=rng)
    above = table[table["accuracy_mean"] >= 0.6]
    return float(above["noise"].iloc[-1])


def collapse_over_sqrt_n(n, m, noise_levels, trials, rng):
    table = accuracy_vs_noise(n, m, noise_levels, trials=trials, rng=rng)
    below = table[table["accuracy_mean"] < 0.6]
    return float(below["noise_over_sqrt_n"].iloc[0])


def collapse_index(n, m, noise_levels, trials, rng):
    table = accuracy_vs_noise(n, m, noise_levels, trials=trials, rng=rng)
    return int(np.argmax(table["accuracy_mean"].to_numpy() < 0.6))


# --- E6: the dashboard's budget --------------------------------------------------------------
def _min_eps(q):
    return q["sensitivity"] * math.log(1 / (1 - q["confidence"])) / q["error"]


def allocate_right(total_epsilon, queries):
    mins = {q["name"]: _min_eps(q) for q in queries}
    if sum(mins.values()) > total_epsilon:
        return "impossible"
    return mins


def allocate_spread(total_epsilon, queries):  # also right: use the whole budget
    mins = {q["name"]: _min_eps(q) for q in queries}
    need = sum(mins.values())
    if need > total_epsilon * (1 + 1e-12):
        return "Impossible"
    return {name: e * total_epsilon / need for name, e in mins.items()}


def allocate_ignores_confidence(total_epsilon, queries):
    mins = {q["name"]: q["sensitivity"] / q["error"] for q in queries}
    return "impossible" if sum(mins.values()) > total_epsilon else mins


def allocate_no_feasibility(total_epsilon, queries):
    return {q["name"]: _min_eps(q) for q in queries}


def allocate_always_impossible(total_epsilon, queries):
    return "impossible"


def allocate_std(total_epsilon, queries):
    mins = {q["name"]: math.sqrt(2) * q["sensitivity"] / q["error"] for q in queries}
    return "impossible" if sum(mins.values()) > total_epsilon else mins


def allocate_equal_split(total_epsilon, queries):
    return {q["name"]: total_epsilon / len(queries) for q in queries}


RIGHT = {
    "L03.E1": {"compose": compose_right},
    "L03.E2": {"gaussian_sigma_for_budget": sigma_right},
    "L03.E3": {"release_counts": release_right},
    "L03.E4": {"reconstruct_secret": reconstruct_right},
    "L03.E5": {"collapse_noise": collapse_right},
    "L03.E6": {"allocate": allocate_right},
}

# Further right answers (variants a learner may well write); every check must pass them too.
ALSO_RIGHT = [
    ("L03.E2", {"gaussian_sigma_for_budget": sigma_bisection}),
    ("L03.E1", {"compose": compose_numpy}),
    ("L03.E3", {"release_counts": release_can_spend}),
    ("L03.E4", {"reconstruct_secret": reconstruct_pinv}),
    ("L03.E6", {"allocate": allocate_spread}),
]

WRONG = [
    ("L03.E1", "no-second-term", {"compose": _tighter(advanced_no_second_term)},
     "kε(e^ε − 1) is missing"),
    ("L03.E1", "log-delta", {"compose": _tighter(advanced_log_delta)}, "ln(1/δ')"),
    ("L03.E1", "log-delta-numpy", {"compose": _tighter(advanced_log_delta_numpy)},
     "ln(1/δ')"),
    ("L03.E1", "no-two", {"compose": _tighter(advanced_no_two)}, "factor 2"),
    ("L03.E1", "only-epsilon", {"compose": _tighter(advanced_only_epsilon)},
     "pair (ε_total, δ_total)"),
    ("L03.E1", "no-k-delta", {"compose": _tighter(advanced_no_k_delta)}, "forgets the kδ"),
    ("L03.E2", "one-release", {"gaussian_sigma_for_budget": sigma_one_release}, "k = "),
    ("L03.E2", "rho-is-eps", {"gaussian_sigma_for_budget": sigma_rho_is_eps}, "you set ρ = ε"),
    ("L03.E2", "no-half", {"gaussian_sigma_for_budget": sigma_no_half}, "the 1/2 is missing"),
    ("L03.E2", "classic-split", {"gaussian_sigma_for_budget": sigma_classic_split},
     "classic gaussian σ"),
    ("L03.E2", "too-small", {"gaussian_sigma_for_budget": sigma_too_small}, "too little noise"),
    ("L03.E2", "rounded", {"gaussian_sigma_for_budget": sigma_rounded}, "you rounded"),
    ("L03.E3", "no-spending", {"release_counts": release_no_spending}, "without charging"),
    ("L03.E3", "release-first", {"release_counts": release_before_spending}, "spend first"),
    ("L03.E3", "uncaught", {"release_counts": release_uncaught}, "except BudgetExceeded"),
    ("L03.E3", "scale-epsilon", {"release_counts": release_scale_epsilon}, "1/ε_each"),
    ("L03.E3", "no-noise", {"release_counts": release_no_noise}, "no noise"),
    ("L03.E3", "new-accountant", {"release_counts": release_new_accountant},
     "earlier spend vanished"),
    ("L03.E3", "global-random", {"release_counts": release_global_random}, "same seeded rng"),
    ("L03.E4", "not-rounded", {"reconstruct_secret": reconstruct_not_rounded}, "round it"),
    ("L03.E4", "threshold-zero", {"reconstruct_secret": reconstruct_threshold_zero},
     "rounded at 0"),
    ("L03.E4", "transposed", {"reconstruct_secret": reconstruct_transposed}, "not queries.T"),
    ("L03.E4", "mean", {"reconstruct_secret": reconstruct_mean}, "same bit"),
    ("L03.E5", "last-working", {"collapse_noise": collapse_last_working},
     "last level where the attack still works"),
    ("L03.E5", "over-sqrt-n", {"collapse_noise": collapse_over_sqrt_n}, "noise_over_sqrt_n"),
    ("L03.E5", "index", {"collapse_noise": collapse_index}, "position"),
    ("L03.E1", "always-advanced", {"compose": advanced_right}, "sequential composition gives only"),
    ("L03.E1", "always-sequential", {"compose": compose_always_sequential},
     "advanced composition gives"),
    ("L03.E5", "predicted", {"collapse_noise": collapse_predicted}, "*predicted* column"),
    ("L03.E5", "own-rng", {"collapse_noise": collapse_own_rng}, "ignores the `rng`"),
    ("L03.E1", "swapped", {"compose": _tighter(advanced_swapped)}, "swapped"),
    ("L03.E1", "rounded", {"compose": _tighter(advanced_rounded)}, "you rounded"),
    ("L03.E6", "ignores-confidence", {"allocate": allocate_ignores_confidence},
     "ignoring the confidence"),
    ("L03.E6", "no-feasibility", {"allocate": allocate_no_feasibility},
     "return 'impossible' when it fails"),
    ("L03.E6", "always-impossible", {"allocate": allocate_always_impossible},
     "design is feasible"),
    ("L03.E6", "std", {"allocate": allocate_std}, "standard deviation"),
    ("L03.E6", "equal-split", {"allocate": allocate_equal_split}, "meets its target"),
]
