"""Lesson 10's table: card transactions of a consortium of five banks, with rare fraud.

One row per card authorization: who paid (bank, customer), what (amount, merchant category),
when (hour), where (distance from the cardholder's home, card present or not), how busy the card
was (transactions in the previous 24 hours), and whether the transaction later proved fraudulent.
Legitimate and fraudulent transactions are drawn from documented class-conditional
distributions; a share of fraud (:data:`CAMOUFLAGED_FRAUD_SHARE`) is drawn like legitimate
spending, so no model can catch every case. Banks differ in size, customer mix and fraud rate
(0.2 %–0.9 %, overall ≈ 0.45 %) — non-IID silos, as in a real consortium. Parameters and
provenance: ``data/README.md``, section "Lesson 10 — consortium transactions".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..randomness import data_rng
from ..validation import check_positive_int

#: Banks of the consortium: share of all transactions, fraud rate (share of a bank's
#: transactions that are fraud), share of legitimate spending made with the card present, and
#: the median distance (km) from home of legitimate card-present spending.
BANKS = {
    "Northbank":        {"share": 0.35, "fraud_rate": 0.0025, "card_present": 0.78, "local_km": 4.0},
    "Harbor CU":        {"share": 0.15, "fraud_rate": 0.0020, "card_present": 0.85, "local_km": 3.0},
    "Metro Digital":    {"share": 0.25, "fraud_rate": 0.0090, "card_present": 0.45, "local_km": 5.0},
    "Prairie Savings":  {"share": 0.10, "fraud_rate": 0.0030, "card_present": 0.82, "local_km": 18.0},
    "Coastal Trust":    {"share": 0.15, "fraud_rate": 0.0050, "card_present": 0.72, "local_km": 6.0},
}

#: Merchant categories (grouped Merchant Category Codes) with the share of legitimate and of
#: fraudulent transactions in each, and the median amount (USD) of a legitimate purchase.
MERCHANT_CATEGORIES = {
    #                  legit   fraud   median $
    "grocery":        (0.24,   0.04,    45.0),
    "restaurant":     (0.16,   0.03,    32.0),
    "fuel":           (0.10,   0.05,    48.0),
    "retail":         (0.14,   0.10,    60.0),
    "online_retail":  (0.14,   0.30,    55.0),
    "travel":         (0.04,   0.10,   320.0),
    "electronics":    (0.04,   0.22,   180.0),
    "entertainment":  (0.06,   0.04,    40.0),
    "health":         (0.05,   0.02,    70.0),
    "cash_withdrawal": (0.03,  0.10,   100.0),
}

#: Categories that are never paid with the card present.
CARD_NOT_PRESENT_ONLY = ("online_retail",)

#: Log-normal spread (σ of log amount) of legitimate and fraudulent amounts; fraud's median is
#: :data:`FRAUD_AMOUNT_FACTOR` × the category's legitimate median.
AMOUNT_SIGMA = {"legit": 0.8, "fraud": 1.0}
FRAUD_AMOUNT_FACTOR = 2.5
MAX_AMOUNT = 25_000.0  # authorization limit, USD

#: Relative weight of each hour 0…23 (local time) for legitimate and fraudulent spending.
HOUR_WEIGHTS = {
    "legit": (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 6, 7, 6.5, 6, 6, 6.2, 6.8, 7,
              6.5, 5, 4, 3, 1.8),
    "fraud": (4, 4.5, 5, 5, 4.5, 3.5, 3, 3, 3, 3, 3, 3.2, 3.5, 3.5, 3.2, 3, 3, 3, 3.2, 3.5, 3.8,
              4, 4, 4),
}

#: Share of legitimate card-present spending made far from home (travel): distance log-normal
#: with median :data:`FAR_KM`; card-not-present "distance" is from home to the device's IP
#: geolocation (median :data:`ONLINE_KM` when legitimate).
LEGIT_FAR_SHARE = 0.03
FAR_KM = 400.0
ONLINE_KM = 12.0
DISTANCE_SIGMA = 1.0

#: Fraud: share of card-present fraud (skimmed or stolen cards), share of fraud made far from
#: home (median :data:`FAR_KM`), and the burst of a compromised card (velocity 1 + Poisson).
FRAUD_CARD_PRESENT = 0.25
FRAUD_FAR_SHARE = 0.55
FRAUD_VELOCITY_BURST = 3.5
LEGIT_VELOCITY_MEAN = 1.2

#: Share of fraud drawn exactly like legitimate spending of the same bank ("camouflaged": e.g.
#: a stolen card used once at a local grocery) — undetectable from these features.
CAMOUFLAGED_FRAUD_SHARE = 0.25

#: Mean number of transactions per customer in the table (customers' activity is Gamma(2)).
TRANSACTIONS_PER_CUSTOMER = 20

#: Columns of :func:`consortium_transactions`.
TRANSACTION_COLUMNS = ("transaction_id", "bank", "customer_id", "amount", "merchant_category",
                       "hour", "distance_from_home_km", "card_present", "velocity_24h",
                       "is_fraud")

#: Numeric features a fraud model uses (:func:`fraud_features`), in order.
FRAUD_FEATURES = (("log_amount", "hour_sin", "hour_cos", "log_distance", "card_present",
                   "velocity_24h")
                  + tuple(f"mcc_{c}" for c in MERCHANT_CATEGORIES))


def _legit(rng, n: int, bank: dict) -> dict:
    cats = list(MERCHANT_CATEGORIES)
    p = np.array([MERCHANT_CATEGORIES[c][0] for c in cats])
    cat = rng.choice(len(cats), size=n, p=p / p.sum())
    median = np.array([MERCHANT_CATEGORIES[c][2] for c in cats])[cat]
    amount = rng.lognormal(np.log(median), AMOUNT_SIGMA["legit"])
    w = np.array(HOUR_WEIGHTS["legit"], dtype=float)
    hour = rng.choice(24, size=n, p=w / w.sum())
    cnp_only = np.isin(np.array(cats)[cat], CARD_NOT_PRESENT_ONLY)
    present = (rng.random(n) < bank["card_present"]) & ~cnp_only
    far = rng.random(n) < LEGIT_FAR_SHARE
    dist_median = np.where(present, bank["local_km"], ONLINE_KM)
    dist_median = np.where(far, FAR_KM, dist_median)
    distance = rng.lognormal(np.log(dist_median), DISTANCE_SIGMA)
    velocity = rng.poisson(LEGIT_VELOCITY_MEAN, n)
    return dict(cat=cat, amount=amount, hour=hour, present=present, distance=distance,
                velocity=velocity)


def _fraud(rng, n: int, bank: dict) -> dict:
    cats = list(MERCHANT_CATEGORIES)
    p = np.array([MERCHANT_CATEGORIES[c][1] for c in cats])
    cat = rng.choice(len(cats), size=n, p=p / p.sum())
    median = FRAUD_AMOUNT_FACTOR * np.array([MERCHANT_CATEGORIES[c][2] for c in cats])[cat]
    amount = rng.lognormal(np.log(median), AMOUNT_SIGMA["fraud"])
    w = np.array(HOUR_WEIGHTS["fraud"], dtype=float)
    hour = rng.choice(24, size=n, p=w / w.sum())
    cnp_only = np.isin(np.array(cats)[cat], CARD_NOT_PRESENT_ONLY)
    present = (rng.random(n) < FRAUD_CARD_PRESENT) & ~cnp_only
    far = rng.random(n) < FRAUD_FAR_SHARE
    dist_median = np.where(far, FAR_KM, np.where(present, bank["local_km"], ONLINE_KM))
    distance = rng.lognormal(np.log(dist_median), DISTANCE_SIGMA)
    velocity = 1 + rng.poisson(FRAUD_VELOCITY_BURST, n)
    drawn = dict(cat=cat, amount=amount, hour=hour, present=present, distance=distance,
                 velocity=velocity)
    camouflaged = rng.random(n) < CAMOUFLAGED_FRAUD_SHARE
    like_legit = _legit(rng, n, bank)
    return {k: np.where(camouflaged, like_legit[k], v) for k, v in drawn.items()}


#: Public centring and scaling of :data:`FRAUD_FEATURES` (rounded from a 10⁶-row table of the
#: documented generator, not from any bank's data): a model standardizes with these, so no
#: statistic of the private data leaks through its preprocessing.
FEATURE_CENTRE = (4.0, -0.3, -0.3, 2.3, 0.6, 1.2, 0.24, 0.16, 0.10, 0.14, 0.14, 0.04, 0.04,
                  0.06, 0.05, 0.03)
FEATURE_SCALE = (0.95, 0.65, 0.62, 1.2, 0.49, 1.1, 0.43, 0.37, 0.30, 0.35, 0.35, 0.20, 0.20,
                 0.24, 0.22, 0.17)


def consortium_transactions(n: int = 100_000, seed=0) -> pd.DataFrame:
    """Simulate ``n`` card transactions across the five banks of :data:`BANKS`.

    Columns (see ``data/README.md`` for the distributions and their provenance):

    - ``transaction_id``: 1…n, in random order of banks;
    - ``bank``: the cardholder's bank (categorical, the five names of :data:`BANKS`);
    - ``customer_id``: the cardholder, unique across banks (about n/20 customers; a customer
      has many rows — the privacy unit of the lesson is one customer, not one row);
    - ``amount``: USD, log-normal per merchant category, ≤ 25,000, rounded to cents;
    - ``merchant_category``: one of :data:`MERCHANT_CATEGORIES` (categorical);
    - ``hour``: local hour of the authorization, 0–23;
    - ``distance_from_home_km``: from the cardholder's home to the merchant (card present) or to
      the device's IP geolocation (card not present), km, ≥ 0.1;
    - ``card_present``: 1 if the card was read by a terminal (chip, swipe, contactless);
    - ``velocity_24h``: this card's authorizations in the previous 24 hours;
    - ``is_fraud``: 1 if the transaction was later confirmed fraudulent (bank rates 0.2–0.9 %).

    The number of fraud cases per bank is binomial with the bank's rate. The same ``seed``
    (int ≥ 0 or numpy Generator) always gives the same table; 1,000 ≤ n ≤ 10,000,000. The rows
    are simulated: no row describes a real person or card.
    """
    n = check_positive_int(n, "n")
    if not 1_000 <= n <= 10_000_000:
        raise ValueError(f"n must be between 1,000 and 10,000,000 (five banks, rare fraud), got {n}.")
    rng = data_rng(seed)
    names = list(BANKS)
    shares = np.array([BANKS[b]["share"] for b in names])
    sizes = rng.multinomial(n, shares / shares.sum())
    parts = []
    first_customer = 1
    for code, (name, size) in enumerate(zip(names, sizes)):
        bank = BANKS[name]
        fraud = rng.random(size) < bank["fraud_rate"]
        legit, bad = _legit(rng, size, bank), _fraud(rng, int(fraud.sum()), bank)
        cols = {}
        for k in legit:
            col = legit[k].copy()
            col[fraud] = bad[k]
            cols[k] = col
        n_customers = max(1, round(size / TRANSACTIONS_PER_CUSTOMER))
        activity = rng.gamma(2.0, 1.0, n_customers)
        customer = first_customer + rng.choice(n_customers, size=size, p=activity / activity.sum())
        first_customer += n_customers
        parts.append(pd.DataFrame({
            "bank_code": np.full(size, code), "customer_id": customer.astype("int64"),
            "amount": np.round(np.minimum(cols["amount"], MAX_AMOUNT), 2).clip(0.01),
            "mcc_code": cols["cat"], "hour": cols["hour"].astype("int64"),
            "distance_from_home_km": np.round(np.maximum(cols["distance"], 0.1), 1),
            "card_present": cols["present"].astype("int64"),
            "velocity_24h": cols["velocity"].astype("int64"),
            "is_fraud": fraud.astype("int64"),
        }))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    frame.insert(0, "transaction_id", np.arange(1, n + 1, dtype="int64"))
    frame.insert(1, "bank", pd.Categorical.from_codes(frame.pop("bank_code"), categories=names))
    cats = list(MERCHANT_CATEGORIES)
    frame.insert(5, "merchant_category", pd.Categorical.from_codes(frame.pop("mcc_code"), categories=cats))
    return frame[list(TRANSACTION_COLUMNS)]


def bank_silos(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One table per bank, in the order of :data:`BANKS` (what each bank holds alone)."""
    if not isinstance(frame, pd.DataFrame) or "bank" not in frame.columns:
        raise TypeError("frame must be a DataFrame from consortium_transactions() (with a 'bank' column).")
    return {b: frame[frame["bank"] == b].reset_index(drop=True) for b in BANKS}


def fraud_features(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The model's view of transactions: (X, y) with X's columns :data:`FRAUD_FEATURES`.

    log(amount), the hour on the unit circle (so 23 h and 0 h are close), log(1 + distance),
    card present, velocity, and one indicator per merchant category; y = ``is_fraud``. Not
    standardized: scale with statistics that are public or themselves private.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in TRANSACTION_COLUMNS[3:] if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the column(s) {missing}; pass a consortium_transactions() table.")
    angle = 2 * np.pi * frame["hour"].to_numpy(dtype=float) / 24.0
    cat = frame["merchant_category"].astype(str).to_numpy()
    unknown = sorted(set(cat) - set(MERCHANT_CATEGORIES))
    if unknown:
        raise ValueError(f"unknown merchant categories {unknown}; expected {list(MERCHANT_CATEGORIES)}.")
    x = np.column_stack(
        [np.log(frame["amount"].to_numpy(dtype=float)), np.sin(angle), np.cos(angle),
         np.log1p(frame["distance_from_home_km"].to_numpy(dtype=float)),
         frame["card_present"].to_numpy(dtype=float), frame["velocity_24h"].to_numpy(dtype=float)]
        + [(cat == c).astype(float) for c in MERCHANT_CATEGORIES])
    return x, frame["is_fraud"].to_numpy(dtype=np.int64)


def scaled_fraud_features(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fraud_features` centred and scaled with the public :data:`FEATURE_CENTRE` and
    :data:`FEATURE_SCALE` (the same for every bank, no data statistic involved)."""
    x, y = fraud_features(frame)
    return (x - np.array(FEATURE_CENTRE)) / np.array(FEATURE_SCALE), y
