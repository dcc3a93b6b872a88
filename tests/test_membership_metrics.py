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


# ------------------------------------------------------------------ bounds and attacks (L06)
from pets_helpers.attacks.membership import (  # noqa: E402
    ShadowModelAttack,
    chance_tpr_margin,
    cross_entropy,
    dp_auc_bound,
    dp_roc_bound,
    loss_threshold_scores,
)


def test_dp_bounds():
    assert dp_auc_bound(1e-9) == pytest.approx(0.5, abs=1e-6)
    # ε = ln 3: the pure-DP region's AUC (two segments meeting at FPR = 1/(1+e^ε)) is 0.75
    assert dp_auc_bound(np.log(3.0)) == pytest.approx(0.75, abs=1e-6)
    assert dp_roc_bound(0.01, 1.0, 1e-5) == pytest.approx(np.e * 0.01 + 1e-5)
    assert dp_auc_bound(1.0, 1e-3) > dp_auc_bound(1.0)
    with pytest.raises(ValueError):
        dp_auc_bound(0.0)


def test_chance_tpr_margin_is_binomial_quantile():
    rng = np.random.default_rng(11)
    m = 1000
    margin = chance_tpr_margin(m, 0.01, 1e-6)
    assert 0.01 < margin < 0.05
    # a guessing attack's TPR at 1 % FPR stays below it
    for _ in range(20):
        assert tpr_at_fpr(rng.random(m), rng.random(2000), 0.01) <= margin + 1e-12


def _digits(seed):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    return x[order] / 16.0, y[order]


def _train_mlp(x, y, rng):
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier((256,), alpha=0.0, max_iter=400, tol=0.0,
                         random_state=int(rng.integers(2**31))).fit(x, y)


def _proba(model, x):
    p = np.zeros((len(x), 10))
    p[:, model.classes_] = model.predict_proba(x)
    return p


def test_loss_attack_beats_chance_on_overfit_model_and_shadow_attack_too():
    import warnings

    x, y = _digits(0)
    members, nonmembers, shadow = slice(0, 100), slice(100, 900), slice(900, 1100)
    rng = np.random.default_rng(12)
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(1):  # small matrices: threads only hurt
        warnings.simplefilter("ignore")
        target = _train_mlp(x[members], y[members], rng)
        shadow_attack = ShadowModelAttack(_train_mlp, _proba, n_shadows=3).fit(
            x[shadow], y[shadow], rng)
    p_in, p_out = _proba(target, x[members]), _proba(target, x[nonmembers])
    margin = chance_auc_margin(100, 800, 1e-6)
    auc = roc_auc(loss_threshold_scores(p_in, y[members]),
                  loss_threshold_scores(p_out, y[nonmembers]))
    assert auc - 0.5 > margin
    s_auc = roc_auc(shadow_attack.scores(p_in, y[members]),
                    shadow_attack.scores(p_out, y[nonmembers]))
    assert s_auc - 0.5 > margin
    assert np.allclose(loss_threshold_scores(p_in, y[members]), -cross_entropy(p_in, y[members]))


def test_attack_input_validation():
    with pytest.raises(ValueError, match="sum to 1"):
        loss_threshold_scores([[0.5, 0.6]], [0])
    with pytest.raises(ValueError, match="labels must"):
        loss_threshold_scores([[0.5, 0.5]], [2])
    with pytest.raises(ValueError, match="shape"):
        loss_threshold_scores([0.5, 0.5], [0])
    assert np.isfinite(loss_threshold_scores([[1.0, 0.0]], [1])).all()
