"""Lesson 08 scoring: the credit data generator, the polynomial sigmoid and encrypted inference."""

import math

import numpy as np
import pytest

from pets_helpers.datasets import CREDIT_FEATURES, credit_applicants
from pets_helpers.he.ckks import DepthExhausted, guard_depth, make_context
from pets_helpers.he.params import COURSE_PARAMS, SECURITY_TABLE_128, CKKSParams
from pets_helpers.he.scoring import (
    compare_with_cleartext,
    decrypt_scores,
    encrypt_batch,
    encrypt_single,
    fit_sigmoid_polynomial,
    score_encrypted_batch,
    score_encrypted_single,
    train_model,
)

SCORING = COURSE_PARAMS["scoring"]


@pytest.fixture(scope="module")
def model():
    return train_model(credit_applicants(5_000, seed=0), CREDIT_FEATURES)


@pytest.fixture(scope="module")
def context():
    return make_context(SCORING)


# ---- data ---------------------------------------------------------------------------------
def test_credit_applicants_is_seeded_and_documented():
    a, b = credit_applicants(2_000, seed=3), credit_applicants(2_000, seed=3)
    assert a.equals(b)
    assert not a.equals(credit_applicants(2_000, seed=4))
    assert list(a.columns) == ["applicant_id", *CREDIT_FEATURES, "default"]
    assert a["income"].min() >= 5_000 and 0 <= a["utilization"].min() <= a["utilization"].max() <= 1
    assert (a["credit_history_years"] >= 0).all() and (a["late_payments_2y"] >= 0).all()


def test_default_rate_is_realistic():
    rate = credit_applicants(200_000, seed=1)["default"].mean()
    # 5–10 % target (≈ 7 %); with n = 2e5 the standard error is 0.06 percentage points.
    assert 0.065 < rate < 0.075


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_credit_applicants_rejects_bad_n(bad):
    with pytest.raises((TypeError, ValueError)):
        credit_applicants(bad)


# ---- polynomial sigmoid ---------------------------------------------------------------------
def test_polynomial_fit_error_bound_and_monotonicity():
    poly = fit_sigmoid_polynomial(4.0)
    assert poly.degree == 3 and poly.coefficients[0] == pytest.approx(0.5, abs=1e-9)
    curve = poly.error_curve(2001)
    assert np.max(np.abs(curve["error"])) == pytest.approx(poly.max_error, rel=1e-2)
    assert poly.max_error < 0.05  # degree 3 on [-4, 4] (measured 0.044)
    assert np.all(np.diff(curve["polynomial"]) > 0)
    # a wide range falls back to the monotone cubic; error larger but still increasing
    wide = fit_sigmoid_polynomial(10.0)
    assert np.all(np.diff(wide.error_curve()["polynomial"]) >= 0)
    assert wide.max_error > poly.max_error
    # a higher degree fits a moderate range better
    assert fit_sigmoid_polynomial(4.0, degree=5).max_error < poly.max_error


@pytest.mark.parametrize("bad", [0, -1.0, math.inf, float("nan")])
def test_polynomial_rejects_bad_bound(bad):
    with pytest.raises(ValueError):
        fit_sigmoid_polynomial(bad)


@pytest.mark.parametrize("bad", ["8", None, True])
def test_polynomial_rejects_a_bound_of_the_wrong_type(bad):
    with pytest.raises(TypeError, match="score_bound must be a real number"):
        fit_sigmoid_polynomial(bad)


# ---- model ---------------------------------------------------------------------------------
def test_model_folds_standardization_and_bound_into_weights(model):
    test = credit_applicants(300, seed=7)
    w, b = model.encrypted_weights()
    x = model.features(test)
    np.testing.assert_allclose(x @ w + b, model.logits(test) / model.score_bound, atol=1e-12)
    z = model.logits(credit_applicants(5_000, seed=0))
    assert model.score_bound >= np.max(np.abs(z))  # observed training range covered
    assert model.depth == 3 and model.guard_depth() == 0


def test_depth_fits_the_scoring_params_and_a_shallower_set_is_refused(model):
    assert guard_depth(SCORING, model.depth) == 0
    with pytest.raises(DepthExhausted):
        guard_depth(CKKSParams(8192, (60, 40, 40, 60), 40), model.depth)


@pytest.mark.parametrize("name", sorted(COURSE_PARAMS))
def test_every_course_parameter_set_is_within_the_128_bit_table(name):
    p = COURSE_PARAMS[name]
    assert p.validate() is p and p.total_bits <= SECURITY_TABLE_128[p.poly_modulus_degree]


# ---- encrypted inference -------------------------------------------------------------------
def test_batched_encrypted_scores_match_cleartext(model, context):
    test = credit_applicants(300, seed=11)
    scores = decrypt_scores(score_encrypted_batch(encrypt_batch(context, test, model), model), 300)
    report = compare_with_cleartext(scores, test, model)
    assert report["agreement"] == 1.0 and report["disagreements"] == 0
    assert report["max_abs_error_ckks"] < 1e-4
    assert report["max_abs_error_sigmoid"] <= model.polynomial.max_error + 1e-4
    assert report["out_of_range"] == 0
    assert 0 < model.decide(test).sum() < 300  # the threshold actually splits applicants


def test_per_applicant_scoring_matches_batched(model):
    ctx = make_context(SCORING, galois_keys=True)
    test = credit_applicants(3, seed=12)
    x = model.features(test)
    single = [decrypt_scores(score_encrypted_single(encrypt_single(ctx, row), model), 1)[0]
              for row in x]
    np.testing.assert_allclose(single, model.polynomial_scores(test), atol=1e-4)


def test_per_applicant_without_galois_keys_explains(model, context):
    with pytest.raises(ValueError, match="galois_keys=True"):
        score_encrypted_single(encrypt_single(context, np.ones(6)), model)


def test_encrypt_batch_validates(model, context):
    with pytest.raises(ValueError, match="4096 slots"):
        encrypt_batch(context, np.zeros((4097, 6)))
    with pytest.raises(ValueError, match="NaN"):
        encrypt_batch(context, np.full((2, 6), np.nan))
    with pytest.raises(ValueError, match="feature columns"):
        encrypt_batch(context, credit_applicants(5).drop(columns="income"), model)
    with pytest.raises(ValueError, match="expected 6"):
        score_encrypted_batch(encrypt_batch(context, np.ones((2, 5))), model)
