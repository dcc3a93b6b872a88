"""Lesson 10's glue (``pets_helpers.capstone``): metric, ledger, vocabularies, model, pipeline."""

import math

import numpy as np
import pytest

from pets_helpers.capstone import (PETS, SCENARIOS, STAGES, THREATS, UNITS, StageCost,
                                   alerts_at_rate, check_stage, consortium_split, fraud_logits,
                                   recall_at_alert_rate, recall_table, statement_text,
                                   to_scoring_model, total_privacy_statement, train_federated,
                                   vocabulary_table)
from pets_helpers.capstone.pipeline import CAPSTONE_SETTINGS
from pets_helpers.datasets import FRAUD_FEATURES


# --- recall at a fixed alert rate ------------------------------------------------------------
def test_alerts_take_the_top_ceil_share():
    s = np.array([0.1, 0.9, 0.5, 0.7, 0.2])
    assert alerts_at_rate(s, 0.4).tolist() == [False, True, False, True, False]
    assert alerts_at_rate(s, 0.3).sum() == 2  # ⌈1.5⌉
    assert alerts_at_rate(s, 1.0).all()


def test_recall_counts_fraud_in_the_queue_over_all_fraud():
    s = np.array([0.9, 0.8, 0.1, 0.7, 0.2, 0.3])
    y = np.array([1, 0, 1, 1, 0, 0])
    assert recall_at_alert_rate(s, y, 0.5) == pytest.approx(2 / 3)
    assert recall_at_alert_rate(-s, y, 0.5) == pytest.approx(1 / 3)
    # only the ranking matters
    assert recall_at_alert_rate(np.exp(5 * s), y, 0.5) == recall_at_alert_rate(s, y, 0.5)


@pytest.mark.parametrize("args, exc", [
    (([0.1, 0.2], [0, 0], 0.5), ValueError),       # no fraud
    (([0.1, 0.2], [0, 2], 0.5), ValueError),       # labels not 0/1
    (([0.1, np.nan], [0, 1], 0.5), ValueError),
    (([0.1, 0.2], [0, 1], 0.0), ValueError),
    (([0.1, 0.2], [0, 1], 1.5), ValueError),
    (([0.1, 0.2, 0.3], [0, 1], 0.5), ValueError),  # lengths differ
    (([0.1, 0.2], [0, 1], "0.5"), TypeError),
])
def test_recall_refuses_bad_input(args, exc):
    with pytest.raises(exc):
        recall_at_alert_rate(*args)


# --- ledger ----------------------------------------------------------------------------------
def test_statement_sums_and_takes_the_finest_unit():
    ledger = [StageCost("synth", 1.0, 0.0, "customer"), {"stage": "fl", "epsilon": 2.5,
              "delta": 1e-6, "unit": "bank"}, StageCost("he", 0.0, 0.0, "transaction")]
    st = total_privacy_statement(ledger)
    assert st == {"epsilon": 3.5, "delta": 1e-6, "unit": "customer"}
    assert "ε = 3.5" in statement_text(st) and "one customer" in statement_text(st)
    assert total_privacy_statement([StageCost("he", 0, 0, None)])["unit"] is None
    assert UNITS == ("transaction", "customer", "bank")


@pytest.mark.parametrize("entry, exc", [
    (StageCost("x", -1.0, 0.0, "bank"), ValueError), (StageCost("x", 1.0, 1.0, "bank"), ValueError),
    (StageCost("x", 1.0, 0.0, "person"), ValueError), (StageCost("x", 1.0, 0.0, None), ValueError),
    ({"stage": "x", "epsilon": 1.0}, ValueError), ((1, 2, 3), TypeError),
])
def test_ledger_entries_are_validated(entry, exc):
    with pytest.raises(exc):
        check_stage(entry)


# --- vocabularies ----------------------------------------------------------------------------
def test_vocabularies_are_complete_tables():
    assert len(SCENARIOS) == 5 and len(STAGES) == 3
    for kind, data in (("pets", PETS), ("scenarios", SCENARIOS), ("threats", THREATS)):
        table = vocabulary_table(kind)
        assert list(table.index) == list(data)
        assert not table.isna().any().any()
    assert {v[2] for v in THREATS.values()} == {"honest-but-curious", "malicious"}
    with pytest.raises(ValueError):
        vocabulary_table("nope")


# --- model and pipeline ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def split():
    return consortium_split(20_000, seed=5)


@pytest.fixture(scope="module")
def federated(split):
    return train_federated(split)


def test_split_keeps_banks_apart_and_uses_public_scaling(split):
    assert len(split.banks) == 5 and len(split.silos) == 5
    assert sum(len(y) for _, y in split.silos) + len(split.y_test) == 20_000
    assert split.x_test.shape == (len(split.test), len(FRAUD_FEATURES))
    assert CAPSTONE_SETTINGS.hidden == 0


def test_federated_model_beats_chance_by_far(split, federated):
    scores = fraud_logits(federated, split.x_test)
    table = recall_table({"federated": scores, "random": np.random.default_rng(0).random(len(scores))},
                         split.y_test, 0.02)
    col = "recall at 2% alerts"
    assert table.loc["federated", col] > 0.3
    # a random queue of 2 % catches ~2 % of fraud: binomial, far below 0.3
    assert table.loc["random", col] < 0.25


def test_scoring_model_ranks_like_the_logits(split, federated):
    model = to_scoring_model(federated, split.silos[0][0])
    from pets_helpers.datasets import fraud_features
    raw, _ = fraud_features(split.test)
    z = fraud_logits(federated, split.x_test)
    assert np.allclose(model.logits(raw), z)
    poly = model.polynomial_scores(raw)
    assert np.all(np.diff(poly[np.argsort(z)]) >= -1e-12)  # increasing in z: same ranking
    assert math.isclose(model.score_bound % 0.5, 0.0)


def test_mlp_parameters_are_refused(split):
    from pets_helpers.fl.task import init_params
    with pytest.raises(ValueError, match="logistic regression"):
        to_scoring_model(init_params(len(FRAUD_FEATURES), 2, hidden=4), split.x_test)


def test_encrypted_scores_match_the_cleartext_polynomial(split, federated):
    from pets_helpers.capstone import encrypted_scores
    from pets_helpers.datasets import fraud_features
    model = to_scoring_model(federated, split.silos[0][0])
    frame = split.test.head(300)
    enc = encrypted_scores(model, frame, batch=200)  # two batches through the real service
    raw, _ = fraud_features(frame)
    assert enc.shape == (300,)
    assert np.max(np.abs(enc - model.polynomial_scores(raw))) < 1e-3


def test_demos_draw_and_summarize(split):
    import matplotlib
    matplotlib.use("Agg")
    from pets_helpers.capstone.demos import bank_summary, plot_stage_recall
    summary = bank_summary(split.train)
    assert list(summary.index) == split.banks
    assert summary["fraud cases"].sum() == sum(int(y.sum()) for _, y in split.silos)
    s = np.random.default_rng(1).random(len(split.y_test))
    ax = plot_stage_recall(recall_table({"a": s, "b": -s}, split.y_test))
    assert len(ax.patches) == 2


def test_ledger_lines_from_the_course_accountants():
    from pets_helpers.accounting import PrivacyAccountant, ZCDPAccountant, rho_to_epsilon
    from pets_helpers.capstone import stage_from_accountant
    acc = PrivacyAccountant(2.0, 1e-6)
    acc.spend(0.5, label="a")
    acc.spend(0.7, 1e-7, label="b")
    line = stage_from_accountant("synth", acc, "customer")
    assert line == StageCost("synth", 1.2, 1e-7, "customer")
    z = ZCDPAccountant(5.0)
    z.spend_gaussian(1.0, 2.0)
    z.spend_gaussian(1.0, 2.0)
    line = stage_from_accountant("fl", z, "bank", delta=1e-5)
    assert line.epsilon == pytest.approx(rho_to_epsilon(2 * 1 / 8, 1e-5))
    with pytest.raises(ValueError):
        stage_from_accountant("fl", z, "bank")          # zCDP needs a δ
    with pytest.raises(ValueError):
        stage_from_accountant("synth", acc, "customer", delta=1e-5)
    with pytest.raises(TypeError):
        stage_from_accountant("x", {"epsilon": 1}, "bank")
    with pytest.raises(ValueError):
        stage_from_accountant("synth", acc, "household")


def test_secure_aggregation_round_gives_the_plain_sum_and_hides_updates(split):
    from pets_helpers.capstone import secure_round_sum
    out = secure_round_sum(split, clip_norm=0.5, rng=3)
    assert np.max(np.abs(out["secure_sum"] - out["plain_sum"])) <= out["max_error"]
    assert len(out["server_view"]) == 5
    assert all(np.linalg.norm(u) <= 0.5 + 1e-12 for u in out["clipped_updates"])
    # what the server saw of one bank is a masked ring vector, not its encoded update
    view = np.asarray(out["server_view"][1], dtype=np.uint64)
    assert view.std() > 1e17


def test_dp_federated_training_is_accounted_per_bank(split):
    from pets_helpers.capstone import train_dp_federated
    from pets_helpers.fl.dp_fedavg import dp_fedavg_epsilon
    h = train_dp_federated(split, clip_norm=0.5, noise_multiplier=1.0, delta=1e-6, rng=0)
    assert len(h.epsilon) == CAPSTONE_SETTINGS.rounds
    assert h.epsilon[-1] > h.epsilon[0] > 0
    n_params = len(FRAUD_FEATURES) * 2 + 2
    assert h.epsilon[-1] == pytest.approx(dp_fedavg_epsilon(1.0, CAPSTONE_SETTINGS.rounds, 1e-6,
                                                            clip_norm=0.5, n_params=n_params), rel=1e-6)


# --- secure aggregation and DP fused ---------------------------------------------------------
def test_noise_step_is_the_one_dp_fedavg_uses():
    from pets_helpers.fl.dp_fedavg import clip_update, dp_fedavg_aggregate, noise_clipped_sum, noise_plan
    rng = np.random.default_rng(0)
    updates = [[rng.normal(size=(3, 2)), rng.normal(size=2)] for _ in range(4)]
    agg = dp_fedavg_aggregate(updates, 1.0, 0.7, np.random.default_rng(9))
    total = sum(clip_update(np.concatenate([a.ravel() for a in u]), 1.0)[0] for u in updates)
    noisy = noise_clipped_sum(total, noise_plan(1.0, 0.7, 8), np.random.default_rng(9))
    got = np.concatenate([a.ravel() for a in agg.mean_update])
    assert np.array_equal(got, noisy / 4)


def test_noise_step_validates_and_accounts_input_rounding():
    from pets_helpers.fl.dp_fedavg import noise_clipped_sum, noise_plan
    plan = noise_plan(1.0, 1.0, 8)
    with pytest.raises(TypeError):
        noise_clipped_sum(np.zeros(8), {"sigma": 1.0}, 0)
    with pytest.raises(ValueError, match="8 parameters"):
        noise_clipped_sum(np.zeros(7), plan, 0)
    with pytest.raises(ValueError):
        noise_clipped_sum(np.array([0.0] * 7 + [np.nan]), plan, 0)
    with pytest.raises(ValueError):
        noise_plan(1.0, 1.0, 8, input_rounding=-1e-3)
    rounded = noise_plan(1.0, 1.0, 8, input_rounding=1e-3)
    assert rounded.effective_sensitivity >= plan.effective_sensitivity + 1e-3 * math.sqrt(8)
    assert rounded.sigma == plan.sigma and rounded.rho > plan.rho


def test_secure_dp_fedavg_equals_plain_dp_fedavg_and_is_accounted(split):
    from dataclasses import replace

    from pets_helpers.capstone import train_dp_federated, train_secure_dp_federated
    from pets_helpers.fl.dp_fedavg import dp_fedavg_epsilon
    settings = replace(CAPSTONE_SETTINGS, rounds=3)
    fused = train_secure_dp_federated(split, 0.5, 1.0, 1e-6, settings, rng=np.random.default_rng(4),
                                      secagg_rng=np.random.default_rng(1))
    plain = train_dp_federated(split, 0.5, 1.0, 1e-6, settings, rng=np.random.default_rng(4))
    # same noise draw: the secure sum differs from the plain one by the codec's rounding only,
    # far below the noise lattice, so the models agree to within it every round
    tol = 3 * (fused.max_sum_error + fused.plan.granularity)
    for a, b in zip(fused.params, plain.params):
        np.testing.assert_allclose(a, b, rtol=0, atol=tol)
    assert len(fused.accountant.ledger) == 3
    n_params = len(FRAUD_FEATURES) * 2 + 2
    expected = dp_fedavg_epsilon(1.0, 3, 1e-6, clip_norm=0.5, n_params=n_params)
    assert fused.epsilon[-1] == pytest.approx(expected, rel=1e-9)
    assert fused.epsilon == pytest.approx(plain.epsilon, rel=1e-9)
    # a different noise draw gives a different model: the noise is really on the sum
    other = train_secure_dp_federated(split, 0.5, 1.0, 1e-6, settings, rng=np.random.default_rng(5))
    assert not np.allclose(other.params[0], fused.params[0], atol=10 * tol)


# --- stage 1: DP synthetic transactions, ε per customer --------------------------------------
def test_bounding_keeps_at_most_k_rows_per_customer_without_looking_at_labels(split):
    from pets_helpers.capstone import bound_contributions
    table = split.train
    kept = bound_contributions(table, 3, rng=7)
    sizes = table.groupby("customer_id").size()
    kept_sizes = kept.groupby("customer_id").size().reindex(sizes.index, fill_value=0)
    assert (kept_sizes == np.minimum(sizes, 3)).all()
    relabelled = table.assign(is_fraud=np.random.default_rng(1).permutation(table["is_fraud"].to_numpy()),
                              amount=table["amount"] * 2)
    assert bound_contributions(relabelled, 3, rng=7).index.equals(kept.index)
    with pytest.raises(ValueError):
        bound_contributions(table, 0)
    with pytest.raises(TypeError):
        bound_contributions(table.drop(columns="customer_id"), 3)


def test_public_domain_clamps_and_fits_the_synthesizer_domain():
    import pandas as pd

    from pets_helpers.capstone import TRANSACTION_DOMAIN, to_public_domain
    from pets_helpers.synth import encode_table
    row = pd.DataFrame({"amount": [1e6, 0.01], "merchant_category": ["grocery", "grocery"],
                        "hour": [3, 23], "distance_from_home_km": [1e9, 0.0], "card_present": [1, 0],
                        "velocity_24h": [99, 0], "is_fraud": [1, 0]})
    out = to_public_domain(row)
    assert out["amount"].tolist() == [5_000.0, 0.5] and out["velocity_24h"].tolist() == [15, 0]
    encode_table(out, TRANSACTION_DOMAIN)  # raises if anything were outside the domain


def test_synthetic_stage_spends_epsilon_over_k_per_row_and_learns(split):
    from pets_helpers.capstone import synthesize_bank, train_on_synthetic
    silo = split.train[split.train["bank"] == split.banks[0]]
    rows, synth = synthesize_bank(silo, 4.0, 8, rng=0)
    assert synth.epsilon == pytest.approx(0.5)
    assert 8 * synth.accountant_.spent[0] == pytest.approx(4.0)  # group privacy: k × ε_row
    assert set(rows.columns) >= {"amount", "is_fraud"} and len(rows) > 0
    params, synthetic = train_on_synthetic(split, 16.0, 10, CAPSTONE_SETTINGS, rng=0)
    assert set(synthetic["is_fraud"].unique()) <= {0, 1}
    # far better than a random queue (recall ≈ alert rate = 1 %)
    assert recall_at_alert_rate(fraud_logits(params, split.x_test), split.y_test, 0.01) > 0.1
    with pytest.raises(ValueError):
        synthesize_bank(silo, -1.0, 8)
