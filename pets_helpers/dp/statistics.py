"""Differentially private statistics: mean, grouped mean and histogram of a table.

Privacy unit throughout: **one record** (one row: a person or a household, whatever a row is),
with add/remove-one neighbouring datasets. If one person can own several rows, bound their
contribution first (keep one row per person), or the guarantee is per row, not per person.

- :func:`dp_mean`: clip to [lower, upper], release a noisy clipped sum (ε·sum_fraction) and a
  noisy count (the rest of ε), divide. ε-DP by sequential composition.
- :func:`dp_grouped_mean`: the same per group of a *public* list of groups; each record is in
  one group, so every group can use the full ε (parallel composition): ε-DP overall.
- :func:`dp_histogram`: noisy counts of a public list of categories, ε-DP.

All noise is exact discrete Laplace noise (:mod:`.samplers`): counts get integer noise, sums are
computed exactly on the lattice g·ℤ (each clipped value is rounded to the lattice *before*
summing, so one record moves the integer sum by at most ⌈Δ/g⌉ lattice steps, Δ =
max(|lower|, |upper|), g = the largest power of two ≤ 2^-20·Δ). No floating-point summation
error can then inflate the sensitivity (Casacuberta et al., CCS 2022).
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..randomness import resolve_rng
from ..validation import (
    check_bounds,
    check_epsilon,
    check_finite_array,
    check_positive_int,
    check_real,
)
from .calibration import clipped_sum_sensitivity
from .mechanisms import FINENESS, _pow2_floor, _round_up_division
from .samplers import discrete_laplace, discrete_laplace_variance

_MAX_RECORDS = 1 << 31  # keeps every partial lattice sum (≤ 2^21 per record) below 2^53


class EmptyDataWarning(UserWarning):
    """A release computed on no records: still private, but pure noise (for the curator)."""


class DPMeanResult(NamedTuple):
    """A DP mean release: ``estimate`` = noisy_sum / max(noisy_count, 1), and its parts.

    With ``repeats`` (simulation only), each field but the ε's is an array of releases.
    """

    estimate: float
    noisy_sum: float
    noisy_count: int
    epsilon_sum: float
    epsilon_count: float


class DPMeanPlan(NamedTuple):
    """Noise calibration of :func:`dp_mean` (data units; variances exact)."""

    sensitivity: float  # of the clipped sum: max(|lower|, |upper|)
    granularity: float  # lattice of the sum
    lattice_sensitivity: int  # ⌈sensitivity / granularity⌉
    epsilon_sum: float
    epsilon_count: float
    sum_scale: float  # granularity · discrete Laplace scale of the sum's noise
    count_scale: float  # discrete Laplace scale of the count's noise (sensitivity 1)
    sum_variance: float
    count_variance: float


def _check_fraction(sum_fraction) -> float:
    return check_real(sum_fraction, "sum_fraction", low=0, high=1, closed="neither",
                      hint="It is the share of ε spent on the sum; the rest goes to the count.")


def _split(epsilon: float, fraction: float) -> tuple[float, float]:
    """ε_sum + ε_count ≤ ε exactly (rounding never overspends)."""
    eps_sum = epsilon * fraction
    eps_count = epsilon - eps_sum
    while Fraction(eps_sum) + Fraction(eps_count) > Fraction(epsilon):
        eps_count = math.nextafter(eps_count, 0.0)
    return eps_sum, eps_count


def dp_mean_plan(lower, upper, epsilon, sum_fraction=0.5) -> DPMeanPlan:
    """The budget split, lattice and exact noise variances used by :func:`dp_mean`.

    Clipped-sum sensitivity Δ = max(|lower|, |upper|) (add/remove one record), lattice
    g = the largest power of two ≤ 2^-20·Δ, lattice sensitivity D = ⌈Δ/g⌉, sum noise
    g·DLap(D/ε_sum), count noise DLap(1/ε_count).
    """
    lower, upper = check_bounds(lower, upper)
    epsilon = check_epsilon(epsilon)
    eps_sum, eps_count = _split(epsilon, _check_fraction(sum_fraction))
    sensitivity = clipped_sum_sensitivity(lower, upper)
    g = _pow2_floor(FINENESS * sensitivity)
    lattice_sensitivity = math.ceil(sensitivity / g)  # exact: g is a power of two
    t_sum = _round_up_division(lattice_sensitivity, eps_sum)
    t_count = _round_up_division(1, eps_count)
    return DPMeanPlan(
        sensitivity=sensitivity,
        granularity=g,
        lattice_sensitivity=lattice_sensitivity,
        epsilon_sum=eps_sum,
        epsilon_count=eps_count,
        sum_scale=g * t_sum,
        count_scale=t_count,
        sum_variance=g * g * discrete_laplace_variance(t_sum),
        count_variance=discrete_laplace_variance(t_count),
    )


def _lattice_values(values: np.ndarray, lower: float, upper: float, g: float) -> np.ndarray:
    """Each value clipped to [lower, upper] and rounded to the lattice gℤ, as int64 steps."""
    return np.rint(np.clip(values, lower, upper) / g).astype(np.int64)


def _one_d(values, name: str) -> np.ndarray:
    arr = check_finite_array(values, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per record), got shape {arr.shape}.")
    if arr.shape[0] > _MAX_RECORDS:
        raise ValueError(f"{name} has more than 2^31 records; split the data.")
    return arr


def _release_mean(lattice_sums, counts, plan: DPMeanPlan, shape, rng):
    """Noisy sums, noisy counts and estimates for integer lattice sums and true counts."""
    t_sum = plan.sum_scale / plan.granularity  # exact: granularity is a power of two
    noisy_steps = lattice_sums + discrete_laplace(t_sum, shape, rng)
    noisy_sum = noisy_steps.astype(np.float64) * plan.granularity  # function of the integer
    noisy_count = counts + discrete_laplace(plan.count_scale, shape, rng)
    estimate = noisy_sum / np.maximum(noisy_count, 1)
    return estimate, noisy_sum, noisy_count


def dp_mean(values, lower, upper, epsilon, sum_fraction=0.5, rng=None, *, repeats=None
            ) -> DPMeanResult:
    """ε-DP mean of ``values`` clipped to [lower, upper] (privacy unit: one record).

    noisy_sum = Σ clip(x_i) + Laplace noise for sensitivity max(|lower|, |upper|) with
    ε_sum = ε·sum_fraction; noisy_count = n + Laplace noise for sensitivity 1 with
    ε_count = ε - ε_sum; estimate = noisy_sum / max(noisy_count, 1). Empty ``values`` give a
    release of pure noise and an :class:`EmptyDataWarning` to the curator. Sequential composition:
    ε_sum + ε_count = ε. The bounds must be public (chosen without looking at the data);
    values outside are clipped, which biases the mean towards the bounds. The estimate is not
    clipped to the bounds (do it yourself if you wish: post-processing is free).

    Splitting ε: the first-order MSE (:func:`dp_mean_mse`) is proportional to
    Δ²/ε_sum² + mean²/ε_count², minimised by sum_fraction/(1 - sum_fraction) = (Δ/|mean|)^(2/3).

    ``repeats=k`` (simulation only: k independent releases, which together cost k·ε) returns
    arrays of k estimates, noisy sums and noisy counts. ``rng``: None = cryptographically
    secure; an int seed or numpy Generator for reproducible runs.
    """
    arr = _one_d(values, "values")
    plan = dp_mean_plan(lower, upper, epsilon, sum_fraction)
    lower, upper = float(lower), float(upper)
    shape = () if repeats is None else (check_positive_int(repeats, "repeats"),)
    if arr.shape[0] == 0:
        # For the curator only (who holds the data): the release itself stays ε-DP.
        warnings.warn("dp_mean got no records (values is empty): the release is pure noise. "
                      "Check the filter that selected the records; the release "
                      "is still ε-DP.", EmptyDataWarning, stacklevel=2)
    total = int(_lattice_values(arr, lower, upper, plan.granularity).sum())
    estimate, noisy_sum, noisy_count = _release_mean(
        np.int64(total), np.int64(arr.shape[0]), plan, shape, resolve_rng(rng)
    )
    if repeats is None:
        estimate, noisy_sum, noisy_count = float(estimate), float(noisy_sum), int(noisy_count)
    return DPMeanResult(estimate, noisy_sum, noisy_count, plan.epsilon_sum, plan.epsilon_count)


def dp_mean_mse(n, true_mean, lower, upper, epsilon, sum_fraction=0.5, true_values=None
                ) -> float:
    """Mean squared error of :func:`dp_mean` around ``true_mean``, by the delta method.

    With S, C the noisy sum and count (noise variances σ_S², σ_C² from :func:`dp_mean_plan`)
    and m the mean of the clipped values, S/C ≈ m + (S - nm)/n - m(C - n)/n to first order, so

        MSE ≈ (σ_S² + m²·σ_C²) / n²  +  (m - true_mean)².

    The second term is the clipping bias: computed from ``true_values`` when given (their
    clipped, lattice-rounded mean; ``n`` must equal their number), zero otherwise (then
    ``true_mean`` must lie within the bounds). Neglected: terms of relative order σ_C²/n² —
    among them the ratio bias E[S/C] - m ≈ m·σ_C²/n² — and the floor of the count at 1.
    The approximation is good when the noisy count is rarely far from n, i.e. n ≫ σ_C ≈
    1.4/ε_count; for a handful of records it underestimates the error.
    """
    n = check_positive_int(n, "n")
    true_mean = check_real(true_mean, "true_mean")
    plan = dp_mean_plan(lower, upper, epsilon, sum_fraction)
    lower, upper = float(lower), float(upper)
    if true_values is None:
        if not lower <= true_mean <= upper:
            raise ValueError(
                f"true_mean={true_mean!r} lies outside [{lower!r}, {upper!r}], so clipping "
                "biases the release by an amount that depends on the data: pass true_values."
            )
        clipped_mean = true_mean
    else:
        vals = _one_d(true_values, "true_values")
        if vals.shape[0] != n:
            raise ValueError(f"n={n} but true_values holds {vals.shape[0]} values.")
        steps = int(_lattice_values(vals, lower, upper, plan.granularity).sum())
        clipped_mean = steps * plan.granularity / n
    variance = (plan.sum_variance + clipped_mean**2 * plan.count_variance) / n**2
    return variance + (clipped_mean - true_mean) ** 2


# --------------------------------------------------------------------------- grouped
def _public_groups(column: pd.Series, groups, group_column: str) -> list:
    if groups is None:
        if isinstance(column.dtype, pd.CategoricalDtype):
            return list(column.dtype.categories)
        warnings.warn(
            f"groups=None: the groups were taken from the data in column {group_column!r}. "
            "Which groups exist is then itself revealed without any noise (e.g. a group with a "
            "single person). Pass groups=[...], a public list fixed in advance.",
            stacklevel=3,
        )
        return sorted(column.dropna().unique().tolist())
    if isinstance(groups, (str, bytes)) or not hasattr(groups, "__iter__"):
        raise TypeError(f"groups must be a list of public group keys, got {groups!r}.")
    groups = list(groups)
    if not groups:
        raise ValueError("groups is empty: pass the public list of group keys.")
    if pd.Index(groups).has_duplicates:
        dup = pd.Index(groups)[pd.Index(groups).duplicated()][0]
        raise ValueError(f"groups lists {dup!r} more than once; keys must be unique.")
    if pd.isna(pd.Index(groups)).any():
        raise ValueError("groups contains a missing value (NaN/None); list real keys only.")
    return groups


def dp_grouped_mean(frame, group_column, value_column, lower, upper, epsilon, sum_fraction=0.5,
                    rng=None, groups=None) -> pd.DataFrame:
    """ε-DP mean of ``value_column`` per group of ``group_column`` (privacy unit: one row).

    Every group gets the full ε (split into ε·sum_fraction for its noisy sum and the rest for
    its noisy count): a row lies in exactly one group, so adding or removing it changes one
    group's sum and count only, and the releases of disjoint groups compose in parallel — ε
    in total. This needs the *set of groups* to be public and fixed in advance: pass
    ``groups=[...]`` (e.g. all areas of a census geography). Every listed group is released,
    also those without any row (their estimate is pure noise); rows whose group is not listed
    are ignored. ``groups=None`` uses the categories of a categorical column, or else the
    groups found in the data — with a warning, because that reveals which groups occur. An empty
    frame gives an :class:`EmptyDataWarning` to the curator (the release stays ε-DP).

    Returns a DataFrame indexed by group with columns ``estimate``, ``noisy_sum`` and
    ``noisy_count`` (see :func:`dp_mean`); ``attrs`` records ε, the split and the privacy
    unit. Missing or infinite values in ``value_column`` raise ValueError.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}.")
    for name in (group_column, value_column):
        if name not in frame.columns:
            raise KeyError(f"column {name!r} is not in the frame (columns: {list(frame.columns)}).")
    plan = dp_mean_plan(lower, upper, epsilon, sum_fraction)
    lower, upper = float(lower), float(upper)
    keys = _public_groups(frame[group_column], groups, group_column)
    values = _one_d(frame[value_column].to_numpy(), value_column)
    codes = pd.Categorical(frame[group_column], categories=keys).codes.astype(np.int64)
    inside = codes >= 0
    if not len(frame):
        warnings.warn("dp_grouped_mean got no records (the frame is empty): every released "
                      "group is pure noise. Check the filter that selected the records; the "
                      "release is still ε-DP.", EmptyDataWarning, stacklevel=2)
    elif not inside.any():
        warnings.warn(
            f"no row of column {group_column!r} matches any of the groups (check spelling and "
            "type of the keys); every released group is pure noise.",
            stacklevel=2,
        )
    steps = _lattice_values(values[inside], lower, upper, plan.granularity)
    # bincount adds in float64: every partial sum is an integer < 2^53, hence exact
    sums = np.bincount(codes[inside], weights=steps.astype(np.float64), minlength=len(keys))
    counts = np.bincount(codes[inside], minlength=len(keys))
    estimate, noisy_sum, noisy_count = _release_mean(
        sums.astype(np.int64), counts.astype(np.int64), plan, (len(keys),), resolve_rng(rng)
    )
    out = pd.DataFrame(
        {"estimate": estimate, "noisy_sum": noisy_sum, "noisy_count": noisy_count},
        index=pd.Index(keys, name=group_column),
    )
    out.attrs.update(
        epsilon=float(epsilon),
        epsilon_sum=plan.epsilon_sum,
        epsilon_count=plan.epsilon_count,
        lower=lower,
        upper=upper,
        privacy_unit="one row (add/remove-one neighbouring); parallel composition over groups",
    )
    return out


# --------------------------------------------------------------------------- histogram
def _plain(value):
    """A numpy scalar as the Python value it holds (for readable error messages)."""
    return value.item() if isinstance(value, np.generic) else value


def dp_histogram(values, categories, epsilon, rng=None) -> pd.Series:
    """ε-DP counts of each public category in ``values`` (privacy unit: one record).

    Adding or removing one record changes one count by 1 (L1 sensitivity 1), so each count
    gets discrete Laplace noise with scale 1/ε. (Under replace-one neighbouring two counts
    change: the same release is then 2ε-DP.) ``categories`` is the public list of possible
    values, fixed in advance; a value outside it, or a missing value, raises ValueError.
    Returns an int64 Series indexed by category, named ``noisy_count`` (counts can be negative:
    clip them to 0 afterwards if you wish — post-processing is free).
    """
    epsilon = check_epsilon(epsilon)
    if isinstance(categories, (str, bytes)) or not hasattr(categories, "__iter__"):
        raise TypeError(f"categories must be a list of the possible values, got {categories!r}.")
    index = pd.Index(list(categories))
    if index.empty:
        raise ValueError("categories is empty: pass the public list of possible values.")
    if index.has_duplicates:
        raise ValueError(f"categories lists {index[index.duplicated()][0]!r} more than once.")
    if pd.isna(index).any():
        raise ValueError("categories contains a missing value (NaN/None).")
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"values must be 1-D (one value per record), got shape {arr.shape}.")
    missing = pd.isna(arr)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"values contains a missing value at position {i}; drop or impute it.")
    codes = index.get_indexer(arr)
    unknown = codes < 0
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise ValueError(
            f"values[{i}] = {_plain(arr[i])!r} is not one of the categories; add it to the public "
            "list (or map rare values to an 'other' category first)."
        )
    counts = np.bincount(codes, minlength=len(index)).astype(np.int64)
    noise = discrete_laplace(_round_up_division(1, epsilon), len(index), resolve_rng(rng))
    return pd.Series(counts + noise, index=index, name="noisy_count")
