"""The membership-inference metrics against hand-computed cases and theory."""

import numpy as np
import pytest

from pets_helpers.attacks.membership import chance_auc_margin, roc_auc, roc_curve, tpr_at_fpr


def test_perfect_and_inverted_attacks():
    assert roc_auc([3, 4, 5], [0, 1, 2]) == 1.0
    assert roc_auc([0, 1, 2], [3, 4, 5]) == 0.0


def test_auc_equals_mann_whitney_with_ties():
    members, nonmembers = [1, 2, 2, 5], [0, 2, 3]
    pairs = [(m > n) + 0.5 * (m == n) for m in members for n in nonmembers]
    assert roc_auc(members, nonmembers) == pytest.approx(np.mean(pairs))


def test_roc_curve_endpoints_and_ties_move_together():
    fpr, tpr = roc_curve([1, 1], [1, 0])
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert list(zip(fpr, tpr)) == [(0.0, 0.0), (0.5, 1.0), (1.0, 1.0)]


def test_tpr_at_low_fpr():
    members = np.arange(100, 200)          # all above every non-member
    nonmembers = np.arange(100)
    assert tpr_at_fpr(members, nonmembers, 0.01) == 1.0
    assert tpr_at_fpr(nonmembers, members, 0.01) == 0.0


def test_tpr_at_fpr_refuses_unmeasurable_rates():
    with pytest.raises(ValueError, match="needs at least 1000 non-member"):
        tpr_at_fpr(np.ones(10), np.zeros(100), 0.001)
    with pytest.raises(TypeError):
        tpr_at_fpr([1], [0], "0.01")


def test_bad_scores_rejected():
    with pytest.raises(ValueError, match="NaN"):
        roc_auc([np.nan], [0.0])
    with pytest.raises(ValueError, match="empty"):
        roc_auc([], [0.0])
    with pytest.raises(TypeError):
        roc_auc(["a"], [0.0])


def test_chance_attack_stays_inside_theory_margin():
    rng = np.random.default_rng(7)
    m = n = 500
    margin = chance_auc_margin(m, n, 1e-6)
    aucs = [roc_auc(rng.normal(size=m), rng.normal(size=n)) for _ in range(50)]
    assert max(abs(a - 0.5) for a in aucs) < margin
    # and a real signal of one standard deviation is far outside it
    assert roc_auc(rng.normal(1.0, size=m), rng.normal(size=n)) - 0.5 > margin
