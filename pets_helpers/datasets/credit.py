"""Lesson 08's table: the loan book of a fictional consumer lender.

One row per applicant, six features a bureau and an application form provide, and whether the
loan later defaulted. The features are drawn with plausible marginals and correlations; the
default flag follows a documented logistic "true" risk model, so a logistic regression can
recover it (AUC about 0.8). Parameters and provenance: ``data/README.md``, section
"Lesson 08 — credit applicants". Reused by Lessons 09 and 10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..randomness import data_rng
from ..validation import check_positive_int

#: Feature columns of :func:`credit_applicants`, in the order the scoring model uses them.
CREDIT_FEATURES = ("income", "debt_to_income", "credit_history_years", "open_accounts",
                   "late_payments_2y", "utilization")

#: Target share of defaults (≈ 7 %); the intercept below was calibrated on 10⁶ applicants.
CREDIT_DEFAULT_RATE = 0.07

#: The true risk model: logit P(default) = intercept + Σ coefficient · transformed feature.
CREDIT_RISK_MODEL = {
    "intercept": -3.17,
    "log_income_vs_55k": -0.8,       # log(income / 55,000): higher income, lower risk
    "debt_to_income": 3.0,           # × (DTI − 0.28)
    "credit_history_years": -0.05,   # × (years − 10)
    "open_accounts": 0.03,           # × (accounts − 9)
    "late_payments_2y": 0.55,        # per late payment (30+ days) in the last two years
    "utilization": 2.0,              # × (utilization − 0.33)
}


def credit_applicants(n: int = 5_000, seed=0) -> pd.DataFrame:
    """Simulate ``n`` consumer-loan applicants with six features and a default flag.

    Columns (see ``data/README.md`` for the distributions and their provenance):

    - ``applicant_id``: 1…n;
    - ``income``: gross annual income, USD (log-normal, median 55,000, rounded to 100);
    - ``debt_to_income``: monthly debt payments / monthly income, 0–1.2 (mean ≈ 0.28);
    - ``credit_history_years``: years since the first credit account (≤ age − 18);
    - ``open_accounts``: open credit lines (≈ 9 on average, more with a longer history);
    - ``late_payments_2y``: payments 30+ days late in the last 24 months (mostly 0);
    - ``utilization``: revolving balance / revolving limit, 0–1 (mean ≈ 0.33, higher with DTI);
    - ``default``: 1 if the loan defaulted within two years (≈ 7 % of applicants), drawn from
      the logistic model :data:`CREDIT_RISK_MODEL`.

    The same ``seed`` (int ≥ 0 or numpy Generator) always gives the same table; n ≥ 1.
    The rows are simulated: no row describes a real person.
    """
    n = check_positive_int(n, "n")
    if n > 10_000_000:
        raise ValueError(f"n must be at most 10,000,000 (memory), got {n}.")
    rng = data_rng(seed)
    age = rng.uniform(21.0, 70.0, n)
    income = np.round(rng.lognormal(np.log(55_000.0), 0.55, n) / 100.0) * 100.0
    income = np.maximum(income, 5_000.0)
    dti = np.clip(rng.beta(2.2, 5.6, n) * 1.0 + 0.05 * rng.standard_normal(n), 0.0, 1.2)
    history = np.minimum(age - 18.0, rng.gamma(2.5, 4.5, n))
    history = np.round(np.maximum(history, 0.0), 1)
    open_accounts = rng.poisson(4.0 + 0.45 * history)
    util_raw = rng.beta(1.4, 2.8, n) + 0.35 * (dti - 0.28)
    utilization = np.round(np.clip(util_raw, 0.0, 1.0), 3)
    late = rng.poisson(0.25 * np.exp(2.0 * (utilization - 0.33) + 1.5 * (dti - 0.28)))
    m = CREDIT_RISK_MODEL
    logit = (m["intercept"]
             + m["log_income_vs_55k"] * np.log(income / 55_000.0)
             + m["debt_to_income"] * (dti - 0.28)
             + m["credit_history_years"] * (history - 10.0)
             + m["open_accounts"] * (open_accounts - 9.0)
             + m["late_payments_2y"] * late
             + m["utilization"] * (utilization - 0.33))
    default = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype("int64")
    return pd.DataFrame({
        "applicant_id": np.arange(1, n + 1, dtype="int64"),
        "income": income,
        "debt_to_income": np.round(dti, 3),
        "credit_history_years": history,
        "open_accounts": open_accounts.astype("int64"),
        "late_payments_2y": late.astype("int64"),
        "utilization": utilization,
        "default": default,
    })

