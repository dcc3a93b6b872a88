"""Right and typical wrong answers to Lesson 02's exercises."""

import numpy as np

from pets_helpers.attacks.floating_point import could_produce
from pets_helpers.dp import laplace_mechanism, laplace_mse

# --- right answers (written as a learner would) ---------------------------------------------
MEAN_INCOME_QUERY = """
SELECT   PUMA, AVG(income) AS mean_income
FROM     households
WHERE    income IS NOT NULL
GROUP BY PUMA
ORDER BY PUMA
"""


def sum_sensitivity(lower, upper):
    return max(abs(lower), abs(upper))


def dp_mean_release(incomes, lower, upper, epsilon, rng):
    clipped = np.clip(incomes, lower, upper)
    noisy_sum = laplace_mechanism(clipped.sum(), max(abs(lower), abs(upper)), epsilon / 2,
                                  rng=rng)
    noisy_count = laplace_mechanism(len(clipped), 1, epsilon / 2, rng=rng)
    return noisy_sum / max(noisy_count, 1)


def noise_variance(incomes, upper, epsilon):
    m, n = np.clip(incomes, 0, upper).mean(), len(incomes)
    return (2 * (upper / (epsilon / 2)) ** 2 + m**2 * 2 * (1 / (epsilon / 2)) ** 2) / n**2


def clipping_mse(incomes, upper, epsilon):
    m = np.clip(incomes, 0, upper).mean()
    return (m - incomes.mean()) ** 2 + noise_variance(incomes, upper, epsilon)


def clipping_mse_library_variances(incomes, upper, epsilon):  # the noise variances from dp
    m = np.clip(incomes, 0, upper).mean()
    var = (laplace_mse(upper, epsilon / 2) + m**2 * laplace_mse(1, epsilon / 2)) / len(incomes)**2
    return (m - incomes.mean()) ** 2 + var


def guess_input(outputs, scale):
    r0, r1 = could_produce(outputs, 0, scale), could_produce(outputs, 1, scale)
    return np.where(r1 & ~r0, 1, np.where(r0 & ~r1, 0, (outputs > 0.5).astype(int)))


def classic_sigma(sensitivity, epsilon, delta):
    if epsilon >= 1:
        raise ValueError(f"the classic Gaussian calibration is proven for epsilon < 1, got {epsilon}")
    return sensitivity * np.sqrt(2 * np.log(1.25 / delta)) / epsilon


def _refuse(epsilon):
    if not epsilon < 1:
        raise ValueError("classic calibration needs epsilon < 1")


RIGHT = {
    "L02.E1": {"MEAN_INCOME_QUERY": MEAN_INCOME_QUERY},
    "L02.E2": {"sum_sensitivity": sum_sensitivity},
    "L02.E3": {"dp_mean_release": dp_mean_release},
    "L02.E4": {"clipping_mse": clipping_mse},
    "L02.E5": {"classic_sigma": classic_sigma},
    "L02.E6": {"guess_input": guess_input},
}
ALSO_RIGHT = [
    ("L02.E1", {"MEAN_INCOME_QUERY": "select PUMA, sum(income) * 1.0 / count(income) "
                                     "from households group by PUMA;"}),
    ("L02.E4", {"clipping_mse": clipping_mse_library_variances}),
]


# --- wrong answers ---------------------------------------------------------------------------
SQL_COUNT_STAR = ("SELECT PUMA, SUM(income) * 1.0 / COUNT(*) AS mean_income FROM households "
                  "GROUP BY PUMA")
SQL_NO_GROUP = "SELECT PUMA, AVG(income) AS mean_income FROM households"
SQL_WRONG_GROUP = "SELECT ST AS PUMA, AVG(income) AS mean_income FROM households GROUP BY ST"
SQL_INT_DIV = ("SELECT PUMA, SUM(income) / COUNT(income) AS mean_income FROM households "
               "GROUP BY PUMA")


def sens_replace(lower, upper):
    return upper - lower


def sens_upper(lower, upper):
    return upper


def sens_one(lower, upper):
    return 1


def _release(incomes, lower, upper, eps_sum, eps_count, sens, rng, clip=True, count_noise=True):
    values = np.clip(incomes, lower, upper) if clip else np.asarray(incomes)
    noisy_sum = laplace_mechanism(values.sum(), sens, eps_sum, rng=rng)
    n = len(values)
    noisy_count = laplace_mechanism(n, 1, eps_count, rng=rng) if count_noise else n
    return noisy_sum / max(noisy_count, 1)


def mean_no_clip(incomes, lower, upper, epsilon, rng):
    return _release(incomes, lower, upper, epsilon / 2, epsilon / 2,
                    max(abs(lower), abs(upper)), rng, clip=False)


def mean_full_eps(incomes, lower, upper, epsilon, rng):
    return _release(incomes, lower, upper, epsilon, epsilon, max(abs(lower), abs(upper)), rng)


def mean_replace_sens(incomes, lower, upper, epsilon, rng):
    return _release(incomes, lower, upper, epsilon / 2, epsilon / 2, upper - lower, rng)


def mean_upper_sens(incomes, lower, upper, epsilon, rng):
    return _release(incomes, lower, upper, epsilon / 2, epsilon / 2, upper, rng)


def mean_exact_count(incomes, lower, upper, epsilon, rng):
    return _release(incomes, lower, upper, epsilon / 2, epsilon / 2,
                    max(abs(lower), abs(upper)), rng, count_noise=False)


def mean_global_random(incomes, lower, upper, epsilon, rng):
    return _release(incomes, lower, upper, epsilon / 2, epsilon / 2,
                    max(abs(lower), abs(upper)), None)


def mean_sens_one(incomes, lower, upper, epsilon, rng):
    return _release(incomes, lower, upper, epsilon / 2, epsilon / 2, 1, rng)


def clip_variance_only(incomes, upper, epsilon):
    return noise_variance(incomes, upper, epsilon)


def clip_bias_only(incomes, upper, epsilon):
    return (np.clip(incomes, 0, upper).mean() - incomes.mean()) ** 2


def clip_bias_not_squared(incomes, upper, epsilon):
    m = np.clip(incomes, 0, upper).mean()
    return abs(m - incomes.mean()) + noise_variance(incomes, upper, epsilon)


def guess_threshold(outputs, scale):
    return (outputs > 0.5).astype(int)


def guess_inverted(outputs, scale):
    return 1 - guess_input(outputs, scale)


def guess_one_input(outputs, scale):
    return could_produce(outputs, 1, scale).astype(int)


def sigma_no_sqrt(sensitivity, epsilon, delta):
    _refuse(epsilon)
    return sensitivity * 2 * np.log(1.25 / delta) / epsilon


def sigma_no_125(sensitivity, epsilon, delta):
    _refuse(epsilon)
    return sensitivity * np.sqrt(2 * np.log(1 / delta)) / epsilon


def sigma_eps_squared(sensitivity, epsilon, delta):
    _refuse(epsilon)
    return sensitivity * np.sqrt(2 * np.log(1.25 / delta)) / epsilon**2


def sigma_no_refusal(sensitivity, epsilon, delta):
    return sensitivity * np.sqrt(2 * np.log(1.25 / delta)) / epsilon


def sigma_variance(sensitivity, epsilon, delta):
    _refuse(epsilon)
    return classic_sigma(sensitivity, epsilon, delta) ** 2


def sigma_rounded(sensitivity, epsilon, delta):
    return round(classic_sigma(sensitivity, epsilon, delta), 4)


def sigma_float32(sensitivity, epsilon, delta):
    return np.float32(classic_sigma(sensitivity, epsilon, delta))


def sigma_type_error(sensitivity, epsilon, delta):
    if epsilon >= 1:
        raise TypeError("no")
    return classic_sigma(sensitivity, epsilon, delta)


def clip_rmse(incomes, upper, epsilon):
    return np.sqrt(clipping_mse(incomes, upper, epsilon))


# area 2 of the check's table gets a wrong mean, the others are right
SQL_ONE_AREA_WRONG = ("SELECT PUMA, AVG(income) + (CASE WHEN PUMA = (SELECT MAX(PUMA) FROM "
                      "households) THEN 1000 ELSE 0 END) AS mean_income FROM households "
                      "WHERE income IS NOT NULL GROUP BY PUMA")


WRONG = [
    ("L02.E1", "count-star", {"MEAN_INCOME_QUERY": SQL_COUNT_STAR}, "COUNT(*)"),
    ("L02.E1", "no-group-by", {"MEAN_INCOME_QUERY": SQL_NO_GROUP}, "GROUP BY PUMA"),
    ("L02.E1", "wrong-group", {"MEAN_INCOME_QUERY": SQL_WRONG_GROUP}, "group by the area"),
    ("L02.E1", "int-division", {"MEAN_INCOME_QUERY": SQL_INT_DIV}, "integer division"),
    ("L02.E1", "syntax", {"MEAN_INCOME_QUERY": "SELECT PUMA AVG(income) FROM households"},
     "could not run"),
    ("L02.E2", "replace-one", {"sum_sensitivity": sens_replace}, "replaced"),
    ("L02.E2", "upper", {"sum_sensitivity": sens_upper}, "upper alone"),
    ("L02.E2", "one", {"sum_sensitivity": sens_one}, "sensitivity of a *count*"),
    ("L02.E3", "no-clip", {"dp_mean_release": mean_no_clip}, "without clipping"),
    ("L02.E3", "full-eps", {"dp_mean_release": mean_full_eps}, "spends 2ε"),
    ("L02.E3", "replace-sens", {"dp_mean_release": mean_replace_sens}, "upper − lower"),
    ("L02.E3", "upper-sens", {"dp_mean_release": mean_upper_sens}, "not upper alone"),
    ("L02.E3", "exact-count", {"dp_mean_release": mean_exact_count}, "count seems"),
    ("L02.E3", "global-random", {"dp_mean_release": mean_global_random}, "same seeded rng"),
    ("L02.E3", "sens-one", {"dp_mean_release": mean_sens_one}, "far too small"),
    ("L02.E4", "variance-only", {"clipping_mse": clip_variance_only}, "variance only"),
    ("L02.E4", "bias-only", {"clipping_mse": clip_bias_only}, "squared bias only"),
    ("L02.E4", "bias-not-squared", {"clipping_mse": clip_bias_not_squared}, "square the bias"),
    ("L02.E5", "no-sqrt", {"classic_sigma": sigma_no_sqrt}, "square root"),
    ("L02.E5", "no-1.25", {"classic_sigma": sigma_no_125}, "ln(1.25/δ)"),
    ("L02.E5", "eps-squared", {"classic_sigma": sigma_eps_squared}, "not ε²"),
    ("L02.E5", "no-refusal", {"classic_sigma": sigma_no_refusal}, "proven only for ε < 1"),
    ("L02.E5", "variance", {"classic_sigma": sigma_variance}, "that is σ²"),
    ("L02.E5", "rounded", {"classic_sigma": sigma_rounded}, "you rounded"),
    ("L02.E5", "float32", {"classic_sigma": sigma_float32}, "float32"),
    ("L02.E5", "type-error", {"classic_sigma": sigma_type_error}, "raise ValueError"),
    ("L02.E4", "rmse", {"clipping_mse": clip_rmse}, "root-mean-square error"),
    ("L02.E1", "one-area-wrong", {"MEAN_INCOME_QUERY": SQL_ONE_AREA_WRONG}, "1 of"),
    ("L02.E6", "threshold", {"guess_input": guess_threshold}, "which values are possible"),
    ("L02.E6", "inverted", {"guess_input": guess_inverted}, "inverted"),
    ("L02.E6", "one-input", {"guess_input": guess_one_input}, "only one input"),
]
