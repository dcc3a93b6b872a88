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


__all__ = ["chance_auc_margin", "roc_auc", "roc_curve", "tpr_at_fpr"]
