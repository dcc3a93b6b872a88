"""Lesson 10's consortium transactions (``pets_helpers.datasets.transactions``)."""

import numpy as np
import pandas as pd
import pytest

from pets_helpers.datasets import (BANKS, CAMOUFLAGED_FRAUD_SHARE, FRAUD_CARD_PRESENT,
                                   FRAUD_FEATURES, MERCHANT_CATEGORIES, TRANSACTION_COLUMNS,
                                   bank_silos, consortium_transactions, fraud_features)
from pets_helpers.grading.tolerance import binomial_acceptance

N = 200_000


@pytest.fixture(scope="module")
def table():
    return consortium_transactions(N, seed=11)


def test_same_seed_same_table_other_seed_other_table():
    a = consortium_transactions(5_000, seed=3)
    pd.testing.assert_frame_equal(a, consortium_transactions(5_000, seed=3))
    assert not a.equals(consortium_transactions(5_000, seed=4))
    g = consortium_transactions(5_000, seed=np.random.default_rng(3))
    pd.testing.assert_frame_equal(g, consortium_transactions(5_000, seed=np.random.default_rng(3)))


def test_columns_types_and_ranges(table):
    assert tuple(table.columns) == TRANSACTION_COLUMNS
    assert len(table) == N
    assert table["transaction_id"].tolist() == list(range(1, N + 1))
    assert list(table["bank"].cat.categories) == list(BANKS)
    assert list(table["merchant_category"].cat.categories) == list(MERCHANT_CATEGORIES)
    assert table["amount"].between(0.01, 25_000).all()
    assert table["hour"].between(0, 23).all()
    assert (table["distance_from_home_km"] >= 0.1).all()
    assert set(table["card_present"].unique()) == {0, 1}
    assert (table["velocity_24h"] >= 0).all()
    assert set(table["is_fraud"].unique()) == {0, 1}
    assert not table.isna().any().any()
    online = table["merchant_category"] == "online_retail"
    assert (table.loc[online, "card_present"] == 0).all()


def test_customers_belong_to_one_bank_and_have_many_rows(table):
    assert (table.groupby("customer_id", observed=True)["bank"].nunique() == 1).all()
    per_customer = table.groupby("customer_id").size()
    assert 10 < per_customer.mean() < 30
    assert per_customer.max() > 40  # heavy-tailed activity


def test_bank_sizes_and_fraud_rates_match_their_parameters(table):
    shares = np.array([BANKS[b]["share"] for b in BANKS])
    sizes = table["bank"].value_counts().reindex(list(BANKS)).to_numpy()
    for size, share in zip(sizes, shares):
        lo, hi = binomial_acceptance(N, share)
        assert lo <= size <= hi
    for name, silo in bank_silos(table).items():
        lo, hi = binomial_acceptance(len(silo), BANKS[name]["fraud_rate"])
        assert lo <= silo["is_fraud"].sum() <= hi, name
    rate = table["is_fraud"].mean()
    assert 0.002 <= rate <= 0.01  # rare, as in real card portfolios


def test_fraud_looks_different_but_a_share_is_camouflaged(table):
    fraud, legit = table[table["is_fraud"] == 1], table[table["is_fraud"] == 0]
    assert fraud["amount"].median() > 1.5 * legit["amount"].median()
    assert fraud["velocity_24h"].mean() > 2 * legit["velocity_24h"].mean()
    night = table["hour"].between(0, 5)
    assert night[fraud.index].mean() > 2 * night[legit.index].mean()
    # card present: camouflaged fraud draws like legit, the rest at most FRAUD_CARD_PRESENT
    legit_present = legit["card_present"].mean()
    expected_max = (1 - CAMOUFLAGED_FRAUD_SHARE) * FRAUD_CARD_PRESENT + CAMOUFLAGED_FRAUD_SHARE * legit_present
    lo, hi = binomial_acceptance(len(fraud), expected_max)
    assert fraud["card_present"].sum() <= hi
    assert fraud["card_present"].sum() >= binomial_acceptance(
        len(fraud), CAMOUFLAGED_FRAUD_SHARE * legit_present * 0.9)[0]


def test_non_iid_silos(table):
    silos = bank_silos(table)
    assert list(silos) == list(BANKS)
    assert sum(len(s) for s in silos.values()) == len(table)
    present = {b: s.loc[s["is_fraud"] == 0, "card_present"].mean() for b, s in silos.items()}
    assert present["Metro Digital"] < 0.5 < present["Harbor CU"]
    assert silos["Prairie Savings"]["distance_from_home_km"].median() > \
        2 * silos["Harbor CU"]["distance_from_home_km"].median()


def test_fraud_features(table):
    x, y = fraud_features(table)
    assert x.shape == (N, len(FRAUD_FEATURES)) and y.shape == (N,)
    assert np.isfinite(x).all()
    assert np.array_equal(y, table["is_fraud"].to_numpy())
    assert np.allclose(x[:, 1] ** 2 + x[:, 2] ** 2, 1.0)
    assert np.array_equal(x[:, 6:].sum(axis=1), np.ones(N))
    i = FRAUD_FEATURES.index("mcc_travel")
    assert np.array_equal(x[:, i] == 1, (table["merchant_category"] == "travel").to_numpy())


def test_a_linear_model_finds_most_but_not_all_fraud(table):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    x, y = fraud_features(table)
    train = np.arange(N) < N // 2
    scale = StandardScaler().fit(x[train])
    model = LogisticRegression(max_iter=2_000).fit(scale.transform(x[train]), y[train])
    scores = model.decision_function(scale.transform(x[~train]))
    alerts = scores >= np.quantile(scores, 0.99)
    recall = y[~train][alerts].sum() / y[~train].sum()
    assert 0.4 < recall < 1 - CAMOUFLAGED_FRAUD_SHARE + 0.05


@pytest.mark.parametrize("bad, exc", [(999, ValueError), (0, ValueError), (-5, ValueError),
                                      (2.5, TypeError), ("1000", TypeError), (20_000_000, ValueError)])
def test_bad_n_is_refused(bad, exc):
    with pytest.raises(exc):
        consortium_transactions(bad)


def test_helpers_refuse_other_tables():
    with pytest.raises(TypeError):
        bank_silos([1, 2])
    with pytest.raises(TypeError):
        fraud_features("table")
    with pytest.raises(ValueError, match="lacks"):
        fraud_features(pd.DataFrame({"amount": [1.0]}))
    t = consortium_transactions(1_000, seed=1)
    t["merchant_category"] = t["merchant_category"].astype(str)
    t.loc[0, "merchant_category"] = "casino"
    with pytest.raises(ValueError, match="casino"):
        fraud_features(t)


def test_public_scaling_is_close_to_the_data_but_not_taken_from_it():
    from pets_helpers.datasets import FEATURE_CENTRE, FEATURE_SCALE, scaled_fraud_features
    t = consortium_transactions(200_000, seed=99)
    x, _ = fraud_features(t)
    assert len(FEATURE_CENTRE) == len(FEATURE_SCALE) == len(FRAUD_FEATURES)
    assert np.allclose(x.mean(axis=0), FEATURE_CENTRE, atol=0.1)
    assert np.allclose(x.std(axis=0), FEATURE_SCALE, rtol=0.1)
    z, _ = scaled_fraud_features(t.head(10))
    assert np.allclose(z, (x[:10] - np.array(FEATURE_CENTRE)) / np.array(FEATURE_SCALE))
