"""Stage 1 of the capstone: each bank releases a DP synthetic copy of its transactions.

The course's MST-style synthesizer (:class:`pets_helpers.synth.DPTreeSynthesizer`) is ε-DP for
**one row**. A customer owns many rows (about 20 on average, over a hundred for some), so a
row-level ε says little about a customer. :func:`bound_contributions` keeps at most ``k`` rows per
customer, chosen uniformly at random — by a random key per row, never by looking at labels or
features — so one customer changes the bounded table by at most k rows; by group privacy a
synthesizer run at ε_row = ε / k is then **ε-DP for one customer** (pure DP: k-fold group
privacy multiplies ε by k, δ stays 0). Every bank synthesizes its own silo; customers are
unique to one bank, so the banks' releases compose in parallel: the union of the five synthetic
tables is ε-DP per customer (add/remove one customer with all their transactions).

The synthesizer needs a public, discretized domain: :data:`TRANSACTION_DOMAIN` fixes bins from
the documented ranges of the generator (:mod:`pets_helpers.datasets.transactions`), never from
the data; values beyond the outer edges are clamped to them row by row (:func:`to_public_domain`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..datasets.transactions import MERCHANT_CATEGORIES, scaled_fraud_features
from ..fl.fedavg import run_centralized
from ..fl.settings import TrainSettings
from ..synth import Binned, Categorical, DPTreeSynthesizer
from ..validation import check_epsilon, check_positive_int

#: Public domain of the synthesized columns (bins fixed in advance, not fitted to data).
TRANSACTION_DOMAIN = {
    "amount": Binned([0.5, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 500, 1_000, 5_000]),
    "merchant_category": Categorical(list(MERCHANT_CATEGORIES)),
    "hour": Categorical(list(range(24))),
    "distance_from_home_km": Binned([0, 1, 2, 5, 10, 20, 50, 100, 500, 2_000, 20_000]),
    "card_present": Categorical([0, 1]),
    "velocity_24h": Categorical(list(range(16))),
    "is_fraud": Categorical([0, 1]),
}


def _generator(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def bound_contributions(table: pd.DataFrame, k: int, rng=None) -> pd.DataFrame:
    """At most ``k`` rows per ``customer_id``, picked uniformly at random among the customer's
    rows (a random key per row; labels and features are not looked at). ``rng``: None = fresh
    OS entropy, or an int seed / Generator. (The selection is not DP noise: it only needs to be
    independent of the data.)"""
    k = check_positive_int(k, "k")
    if not isinstance(table, pd.DataFrame) or "customer_id" not in table.columns:
        raise TypeError("table must be a DataFrame with a 'customer_id' column "
                        "(from consortium_transactions()).")
    gen = _generator(rng)
    order = np.argsort(gen.random(len(table)), kind="stable")
    shuffled = table.iloc[order]
    keep = shuffled.groupby("customer_id", sort=False, observed=True).cumcount().to_numpy() < k
    return shuffled[keep].sort_index()


def to_public_domain(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of :data:`TRANSACTION_DOMAIN`, numeric ones clamped into their public range."""
    out = pd.DataFrame(index=table.index)
    for name, spec in TRANSACTION_DOMAIN.items():
        col = table[name]
        if isinstance(spec, Binned):
            col = col.astype(float).clip(spec.edges[0], spec.edges[-1])
        elif name == "velocity_24h":
            col = col.clip(0, spec.categories[-1]).astype(int)
        elif name == "merchant_category":
            col = col.astype(str)
        else:
            col = col.astype(int)
        out[name] = col
    return out


def synthesize_bank(silo: pd.DataFrame, epsilon_customer: float, k: int,
                    rng=None) -> tuple[pd.DataFrame, DPTreeSynthesizer]:
    """One bank's DP synthetic transactions: bound to k rows per customer, synthesize at
    ε_row = ``epsilon_customer`` / k (so ε = ``epsilon_customer`` for one customer), sample the
    noisy row count. Returns (synthetic rows, the fitted synthesizer with its accountant).
    ``rng``: None = cryptographically secure noise (real releases), or an int seed / Generator."""
    epsilon_customer = check_epsilon(epsilon_customer)
    k = check_positive_int(k, "k")
    gen = None if rng is None else _generator(rng)  # None: the noise stays cryptographically secure
    bounded = to_public_domain(bound_contributions(silo, k, gen))
    synth = DPTreeSynthesizer(epsilon_customer / k, TRANSACTION_DOMAIN).fit(bounded, gen)
    return synth.sample(rng=gen), synth


def train_on_synthetic(split, epsilon_customer: float, k: int, settings: TrainSettings,
                       rng=None) -> tuple[list, pd.DataFrame]:
    """Every bank synthesizes its silo (:func:`synthesize_bank`); one model is trained on the
    union of the synthetic tables. Returns (params, synthetic table). Privacy: ε =
    ``epsilon_customer`` (δ = 0) for one customer over all banks (parallel composition)."""
    gen = None if rng is None else _generator(rng)
    parts = [synthesize_bank(split.train[split.train["bank"] == bank], epsilon_customer, k, gen)[0]
             for bank in split.banks]
    synthetic = pd.concat(parts, ignore_index=True)
    x, y = scaled_fraud_features(synthetic)
    history = run_centralized(x, y, split.x_test, split.y_test, settings,
                              epochs=settings.rounds * settings.local_epochs, n_classes=2)
    return history.params, synthetic
