"""Lesson 06's experiment: the loss attack beats chance on the non-private models and stays
within the DP bound plus the sampling margin at small ε (seeded)."""

import math

import pytest

from pets_helpers.attacks.membership import chance_auc_margin, dp_auc_bound
from pets_helpers.fl.privacy_experiments import (
    DELTA,
    fedavg_result,
    local_result,
    membership_data,
)

ALPHA = 1e-6


@pytest.fixture(scope="module")
def data():
    return membership_data()


def _margin(data):
    return chance_auc_margin(len(data.y_members), len(data.y_nonmembers), ALPHA)


def test_attack_beats_chance_on_non_private_models(data):
    for result in (fedavg_result(data), local_result(data)):
        assert result.auc - 0.5 > _margin(data), result.family
        assert result.test_accuracy > 0.8


def test_attack_near_chance_at_small_epsilon(data):
    eps = 0.5
    dp_sgd = local_result(data, eps)          # record-level ε: the DP bound applies directly
    assert dp_sgd.privacy_unit == "one patient"
    assert abs(dp_sgd.auc - 0.5) <= dp_auc_bound(eps, DELTA) - 0.5 + _margin(data)
    fed = fedavg_result(data, eps)            # client-level ε; a member's record changes one
    assert fed.privacy_unit == "one hospital"  # hospital's data: at most 2ε (remove + add)
    assert abs(fed.auc - 0.5) <= dp_auc_bound(2 * eps, 2 * DELTA) - 0.5 + _margin(data)
    assert not math.isinf(fed.epsilon)
