"""Privacy attacks on synthetic tables: distance to closest record and membership inference.

Distances are **Gower distances** between rows of mixed type: the mean over columns of
|x − y| / range for numeric columns (range = max − min of the reference table) and of
[x ≠ y] for categorical ones, so 0 means identical and 1 as different as possible.

- :func:`nearest_distances`: each query row's distance to its closest reference row (DCR).
- :func:`dcr_comparison`: the baseline comparison. A fresh, equally large sample of *real*
  people (the holdout, never seen by the synthesizer) shows how close new records naturally
  come to the training rows. Synthetic rows much closer to the training rows than that — or
  clearly more often closer to the training rows than to the holdout rows — were copied, not
  generated. The holdout must be as large as the training set: with fewer holdout rows, every
  record is more often closer to the (bigger) training set, and even a perfect synthesizer looks
  like it leaks (the bias of DCR metrics run with a small holdout).
- :func:`distance_membership_attack`: membership inference. The attacker holds candidate records
  and the synthetic table; a candidate with a synthetic row very close by was probably in the
  training data. Scores = −distance; AUC and TPR at low FPR from
  :mod:`pets_helpers.attacks.membership`.
- :func:`copy_synthesizer`: a "synthesizer" that returns the training rows with a little noise —
  top marks on fidelity, and the attacks above expose it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..attacks.membership import chance_auc_margin, roc_auc, tpr_at_fpr
from ..randomness import data_rng
from ..validation import check_positive, check_real


def _check(table, name: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(table).__name__}.")
    if len(table) == 0:
        raise ValueError(f"{name} is empty: distances need at least one row.")
    if table.isna().to_numpy().any():
        raise ValueError(f"{name} has missing values (NaN); drop or impute them first.")
    return table


class GowerEncoder:
    """Rows → vectors whose L1 distance / n_columns is the Gower distance (fixed on a reference)."""

    def __init__(self, reference: pd.DataFrame):
        reference = _check(reference, "reference")
        self.columns = list(reference.columns)
        self.numeric, self.categories = {}, {}
        for c in self.columns:
            if reference[c].dtype.kind in "biuf":
                x = reference[c].to_numpy(dtype=float)
                self.numeric[c] = (float(x.min()), max(float(x.max() - x.min()), 1e-12))
            else:
                self.categories[c] = pd.Index(pd.unique(reference[c].astype(str)))

    def transform(self, table: pd.DataFrame, name: str = "table") -> np.ndarray:
        table = _check(table, name)
        missing = [c for c in self.columns if c not in table.columns]
        if missing:
            raise ValueError(f"{name} lacks the column(s) {missing!r} of the reference table.")
        parts = []
        for c in self.columns:
            if c in self.numeric:
                low, span = self.numeric[c]
                parts.append(((table[c].to_numpy(dtype=float) - low) / span)[:, None])
            else:
                index = self.categories[c]
                codes = index.get_indexer(table[c].astype(str))
                onehot = np.zeros((len(table), len(index) + 1))
                onehot[np.arange(len(table)), np.where(codes < 0, len(index), codes)] = 0.5
                parts.append(onehot)   # differing categories: L1 distance 0.5 + 0.5 = 1
        return np.hstack(parts)


def nearest_distances(queries, reference, encoder: GowerEncoder | None = None,
                      block_mib: float = 32) -> np.ndarray:
    """Gower distance from each row of ``queries`` to its closest row of ``reference``.

    Query rows are compared in blocks whose scratch array stays under ``block_mib`` MiB, so memory
    does not grow with the number of queries (5,000 × 5,000 census rows: ~32 MiB, not ~1 GiB).
    """
    encoder = encoder or GowerEncoder(reference)
    q = encoder.transform(queries, "queries")
    r = encoder.transform(reference, "reference")
    block_mib = check_real(block_mib, "block_mib", low=0, closed="right")
    chunk = max(1, int(block_mib * 2 ** 20 // (8 * r.shape[0] * r.shape[1] or 1)))
    out = np.empty(len(q))
    for start in range(0, len(q), chunk):
        block = np.abs(q[start:start + chunk, None, :] - r[None, :, :]).sum(-1)
        out[start:start + chunk] = block.min(1)
    return out / len(encoder.columns)


class DCRComparison(NamedTuple):
    """Distance to closest training record: synthetic rows vs. the real-holdout baseline."""

    synthetic_median: float       #: median DCR of synthetic rows to the training rows
    holdout_median: float         #: median DCR of real holdout rows to the training rows
    share_closer_to_train: float  #: synthetic rows closer to train than to holdout (ties ½)
    exact_copies: float           #: share of synthetic rows identical to a training row


def closer_to_train_share(to_train, to_holdout) -> float:
    """Share of records closer to the training set than to the holdout; ties count one half."""
    a, b = np.asarray(to_train, dtype=float), np.asarray(to_holdout, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"need two equally long, non-empty distance arrays, got {a.shape} and "
                         f"{b.shape}.")
    return float(np.mean(a < b) + 0.5 * np.mean(a == b))


def dcr_comparison(synthetic, train, holdout) -> DCRComparison:
    """DCR of ``synthetic`` to ``train``, against the baseline of an equally large real holdout.

    Expect ``share_closer_to_train`` ≈ 0.5 and ``synthetic_median`` ≈ ``holdout_median`` for a
    synthesizer that learned the population rather than the people.
    """
    train, holdout = _check(train, "train"), _check(holdout, "holdout")
    if len(train) != len(holdout):
        raise ValueError(f"train has {len(train)} rows but holdout {len(holdout)}: use equally "
                         f"large sets (subsample the larger one), or every comparison is biased "
                         f"towards the bigger set.")
    encoder = GowerEncoder(pd.concat([train, holdout], ignore_index=True))
    to_train = nearest_distances(synthetic, train, encoder)
    to_holdout = nearest_distances(synthetic, holdout, encoder)
    baseline = nearest_distances(holdout, train, encoder)
    return DCRComparison(float(np.median(to_train)), float(np.median(baseline)),
                         closer_to_train_share(to_train, to_holdout),
                         float(np.mean(to_train == 0)))


class MembershipResult(NamedTuple):
    """A membership-inference attack's success; ``chance_margin``: |AUC − ½| a guesser reaches
    with probability ≤ 1e-6 on this many records."""

    auc: float
    tpr_at_1pct_fpr: float
    chance_margin: float
    member_scores: np.ndarray
    nonmember_scores: np.ndarray


def distance_membership_attack(synthetic, members, nonmembers) -> MembershipResult:
    """Score each candidate by −(distance to its closest synthetic row); members should score
    higher if the synthesizer memorised them. Members and non-members: equally many, from the
    same population (the training rows and the holdout)."""
    members, nonmembers = _check(members, "members"), _check(nonmembers, "nonmembers")
    encoder = GowerEncoder(pd.concat([members, nonmembers], ignore_index=True))
    pos = -nearest_distances(members, synthetic, encoder)
    neg = -nearest_distances(nonmembers, synthetic, encoder)
    tpr = tpr_at_fpr(pos, neg, 0.01) if len(neg) >= 100 else math.nan
    return MembershipResult(roc_auc(pos, neg), tpr, chance_auc_margin(len(pos), len(neg)),
                            pos, neg)


def copy_synthesizer(train, noise: float = 0.01, seed: int = 0) -> pd.DataFrame:
    """NOT a synthesizer: the training rows, shuffled, numeric columns jittered by ``noise``
    × their standard deviation (integers stay integers). Looks perfect; protects no one."""
    train = _check(train, "train")
    noise = check_positive(noise, "noise")
    rng = data_rng(seed)
    out = train.sample(frac=1.0, random_state=int(rng.integers(2**31))).reset_index(drop=True)
    for c in out.columns:
        if out[c].dtype.kind in "iuf":
            x = out[c].to_numpy(dtype=float)
            jittered = x + rng.normal(0.0, noise * (x.std() or 1.0), len(x))
            out[c] = np.round(jittered).astype(out[c].dtype) if out[c].dtype.kind in "iu" \
                else jittered
    return out
