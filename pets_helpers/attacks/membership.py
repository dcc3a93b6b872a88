"""Membership inference: did this record take part in training (or synthesis)?

An attack gives every candidate record a *score* — higher means "more likely a member". This
module turns scores into the metrics that matter for privacy (Carlini et al., 2022, "Membership
Inference Attacks From First Principles"): the ROC curve, its area (AUC, 0.5 = chance) and the
true-positive rate at a low false-positive rate (TPR at 1 % or 0.1 % FPR), which says whether
*some* members can be identified with confidence — an average-case AUC near 0.5 can hide that.

Attacks built on these metrics live beside them: the loss-threshold and shadow-model attacks on
trained models (Lesson 06), and distance-based attacks on synthetic tables (Lesson 09).
"""

from __future__ import annotations

import numpy as np


def _scores(values, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}.")
    arr = arr.astype(float).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} is empty: an attack needs at least one score per group.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite scores; give every record a finite score.")
    return arr


def roc_curve(member_scores, nonmember_scores):
    """ROC of a membership attack: ``(fpr, tpr)`` at every distinct threshold.

    A record is called a member when its score is ≥ the threshold. Ties are handled exactly
    (a tied group moves both rates together), the curve starts at (0, 0) and ends at (1, 1).
    """
    pos = _scores(member_scores, "member_scores")
    neg = _scores(nonmember_scores, "nonmember_scores")
    scores = np.concatenate([pos, neg])
    labels = np.concatenate([np.ones(pos.size), np.zeros(neg.size)])
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tps = np.cumsum(labels)[last_of_tie]
    fps = (last_of_tie + 1) - tps
    tpr = np.r_[0.0, tps / pos.size]
    fpr = np.r_[0.0, fps / neg.size]
    return fpr, tpr


def roc_auc(member_scores, nonmember_scores) -> float:
    """Area under the ROC curve: P(member score > non-member score) + ½ P(tie). 0.5 = chance."""
    fpr, tpr = roc_curve(member_scores, nonmember_scores)
    return float(np.trapezoid(tpr, fpr))


def tpr_at_fpr(member_scores, nonmember_scores, fpr: float = 0.01) -> float:
    """Highest true-positive rate over thresholds whose false-positive rate is ≤ ``fpr``.

    With n non-members, FPRs below 1/n cannot be measured: the function then raises, because a
    TPR "at 0.1 % FPR" from 200 non-members would be a claim the data cannot support.
    """
    if isinstance(fpr, bool) or not isinstance(fpr, (int, float, np.floating)):
        raise TypeError(f"fpr must be a number in (0, 1), got {type(fpr).__name__} {fpr!r}.")
    if not 0.0 < float(fpr) < 1.0:
        raise ValueError(f"fpr must lie strictly between 0 and 1, got {fpr!r}.")
    neg = _scores(nonmember_scores, "nonmember_scores")
    if fpr * neg.size < 1.0:
        raise ValueError(
            f"an FPR of {fpr:g} needs at least {int(np.ceil(1 / fpr))} non-member scores to be "
            f"measured, got {neg.size}; score more non-members or report a larger FPR."
        )
    rates_fpr, rates_tpr = roc_curve(member_scores, neg)
    return float(rates_tpr[rates_fpr <= fpr + 1e-12].max())


def chance_auc_margin(n_members: int, n_nonmembers: int, false_alarm: float = 1e-6) -> float:
    """How far from 0.5 a *chance* attack's AUC can stray with probability ≤ ``false_alarm``.

    Under the null (scores exchangeable), the AUC is a Mann–Whitney U statistic / (m n) with
    variance (m + n + 1) / (12 m n); the margin is the two-sided normal quantile times that
    standard deviation. An attack whose |AUC − 0.5| stays below it is indistinguishable from
    guessing at that confidence.
    """
    from scipy.stats import norm

    m, n = int(n_members), int(n_nonmembers)
    if m < 1 or n < 1:
        raise ValueError(f"need at least one member and one non-member, got {m} and {n}.")
    sd = np.sqrt((m + n + 1) / (12.0 * m * n))
    return float(norm.isf(false_alarm / 2) * sd)


def chance_tpr_margin(n_members: int, fpr: float = 0.01, false_alarm: float = 1e-6) -> float:
    """Largest TPR a *chance* attack can show at ``fpr`` with probability ≥ 1 − ``false_alarm``.

    A guessing attack flags each member with probability fpr, so the TPR over m members is
    Binomial(m, fpr)/m; this returns its upper (1 − false_alarm) quantile. A measured TPR at
    that FPR at or below it is "no better than chance" at that confidence. (The threshold is
    set on the same non-members, whose own noise this ignores — a slightly lenient margin.)
    """
    from scipy.stats import binom

    m = int(n_members)
    if m < 1:
        raise ValueError(f"need at least one member, got {m}.")
    if not 0.0 < float(fpr) < 1.0:
        raise ValueError(f"fpr must lie strictly between 0 and 1, got {fpr!r}.")
    return float(binom.isf(false_alarm, m, fpr) / m)


def dp_roc_bound(fpr, epsilon: float, delta: float = 0.0):
    """The highest TPR any membership attack can reach at ``fpr`` against an (ε, δ)-DP
    training algorithm, for the privacy unit the ε is stated for (Kairouz et al. 2015):
    TPR ≤ min(1, e^ε·FPR + δ, 1 − e^−ε·(1 − δ − FPR))."""
    from ..validation import check_delta, check_epsilon

    epsilon, delta = check_epsilon(epsilon), check_delta(delta)
    x = np.clip(np.asarray(fpr, dtype=float), 0.0, 1.0)
    bound = np.minimum(np.exp(epsilon) * x + delta,
                       1.0 - np.exp(-epsilon) * np.maximum(1.0 - delta - x, 0.0))
    return np.minimum(bound, 1.0)


def dp_auc_bound(epsilon: float, delta: float = 0.0) -> float:
    """The highest AUC any attack can reach against (ε, δ)-DP training: ∫ dp_roc_bound."""
    grid = np.linspace(0.0, 1.0, 200_001)
    return float(np.trapezoid(dp_roc_bound(grid, epsilon, delta), grid))


# --------------------------------------------------------------------------------- attacks
def _probabilities(probabilities, labels):
    probs = np.asarray(probabilities, dtype=float)
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(f"probabilities must be an (n_records, n_classes) array of predicted "
                         f"class probabilities, got shape {probs.shape}.")
    if not np.all(np.isfinite(probs)) or probs.min() < 0 or not np.allclose(probs.sum(1), 1.0,
                                                                              atol=1e-6):
        raise ValueError("probabilities must be finite, non-negative and sum to 1 per row "
                         "(apply softmax to logits first).")
    y = np.asarray(labels)
    if y.shape != (probs.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(f"labels must be {probs.shape[0]} integer class indices, got shape "
                         f"{y.shape} and dtype {y.dtype}.")
    if y.min() < 0 or y.max() >= probs.shape[1]:
        raise ValueError(f"labels must lie in 0..{probs.shape[1] - 1}.")
    return probs, y


def cross_entropy(probabilities, labels, floor: float = 1e-12) -> np.ndarray:
    """Per-record loss −log p(true label), with p floored at ``floor`` (no infinite losses)."""
    probs, y = _probabilities(probabilities, labels)
    return -np.log(np.maximum(probs[np.arange(y.size), y], floor))


def loss_threshold_scores(probabilities, labels) -> np.ndarray:
    """Membership scores of the loss-threshold attack (Yeom et al. 2018): minus the loss.

    Training records tend to have lower loss than unseen ones, so −loss ranks members first;
    sweeping the threshold gives the ROC (:func:`roc_curve`). Only black-box access to the
    model's probabilities (and the candidate's true label) is needed.
    """
    return -cross_entropy(probabilities, labels)


def _attack_features(probabilities, labels) -> np.ndarray:
    probs, y = _probabilities(probabilities, labels)
    p_true = np.clip(probs[np.arange(y.size), y], 1e-12, 1 - 1e-12)
    top = np.sort(probs, axis=1)[:, ::-1]
    entropy = -np.sum(probs * np.log(np.maximum(probs, 1e-12)), axis=1)
    return np.column_stack([np.log(p_true) - np.log1p(-p_true), top[:, 0], top[:, 1], entropy])


class ShadowModelAttack:
    """Shokri et al. (S&P 2017): learn what "member" looks like from models the attacker
    trains herself on data from the same distribution.

    ``train(X, y, rng) -> model`` and ``predict_proba(model, X) -> probabilities`` describe the
    target's training procedure (the attacker is assumed to know it). :meth:`fit` trains
    ``n_shadows`` shadow models, each on a random half of the attacker's data, records their
    outputs on their own half (members) and the other half (non-members), and fits one
    logistic-regression attack model per class on features of those outputs (logit of the
    true-class probability, top-2 probabilities, entropy). :meth:`scores` gives the target's
    candidates a membership probability.
    """

    def __init__(self, train, predict_proba, n_shadows: int = 4):
        if not callable(train) or not callable(predict_proba):
            raise TypeError("train and predict_proba must be callables.")
        if isinstance(n_shadows, bool) or not isinstance(n_shadows, int) or n_shadows < 1:
            raise ValueError(f"n_shadows must be a positive integer, got {n_shadows!r}.")
        self.train, self.predict_proba, self.n_shadows = train, predict_proba, n_shadows
        self.models_: dict[int, object] = {}

    def fit(self, X, y, rng=None) -> "ShadowModelAttack":
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(rng)
        X, y = np.asarray(X), np.asarray(y)
        feats, labels, member = [], [], []
        for _ in range(self.n_shadows):
            inside = np.zeros(len(y), dtype=bool)
            inside[rng.permutation(len(y))[: len(y) // 2]] = True
            model = self.train(X[inside], y[inside], rng)
            probs = self.predict_proba(model, X)
            feats.append(_attack_features(probs, y))
            labels.append(y)
            member.append(inside)
        feats, labels, member = np.vstack(feats), np.concatenate(labels), np.concatenate(member)
        self.models_ = {}
        for c in np.unique(labels):
            rows = labels == c
            if np.unique(member[rows]).size == 2:
                self.models_[int(c)] = LogisticRegression(max_iter=1000).fit(feats[rows],
                                                                              member[rows])
        self._pooled = LogisticRegression(max_iter=1000).fit(feats, member)
        return self

    def scores(self, probabilities, labels) -> np.ndarray:
        """P(member) for each candidate, from the target model's ``probabilities``."""
        if not self.models_ and not hasattr(self, "_pooled"):
            raise RuntimeError("call fit() on shadow data first.")
        feats = _attack_features(probabilities, labels)
        y = np.asarray(labels)
        out = self._pooled.predict_proba(feats)[:, 1]
        for c, model in self.models_.items():
            rows = y == c
            if rows.any():
                out[rows] = model.predict_proba(feats[rows])[:, 1]
        return out


__all__ = [
    "ShadowModelAttack",
    "chance_auc_margin",
    "chance_tpr_margin",
    "cross_entropy",
    "dp_auc_bound",
    "dp_roc_bound",
    "loss_threshold_scores",
    "roc_auc",
    "roc_curve",
    "tpr_at_fpr",
]
