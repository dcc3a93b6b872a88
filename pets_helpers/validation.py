"""Strict validation of privacy-relevant input.

Every public helper calls these before doing any work, so that a bad ε, δ, bound or data value
raises one clear error that names the bad value and says how to fix it, instead of silently
producing a wrong (or non-private) answer.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


_CLOSED = {"both": (True, True), "left": (True, False), "right": (False, True),
           "neither": (False, False)}


def check_real(x, name: str, *, low=None, high=None, closed: str = "both",
               hint: str = "") -> float:
    """Return ``x`` as a finite float in the interval given by ``low``/``high``, or raise.

    scikit-learn style (``check_scalar``): ``closed`` says which bounds belong to the interval
    (``"both"``, ``"left"``, ``"right"`` or ``"neither"``); a missing bound is unbounded. A
    wrong type (a string, a bool, None, an array) raises ``TypeError``; a wrong value (NaN,
    infinity, outside the interval) raises ``ValueError``. Both messages name ``name`` and the
    bad value; ``hint`` is appended to the ``ValueError`` message.
    """
    if closed not in _CLOSED:
        raise ValueError(f"closed must be one of {', '.join(map(repr, _CLOSED))}, got {closed!r}.")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        extra = f" Convert text first, e.g. float({x!r})." if isinstance(x, str) else ""
        raise TypeError(f"{name} must be a real number, got {type(x).__name__} {x!r}.{extra}")
    value = float(x)
    left, right = _CLOSED[closed]
    ok = math.isfinite(value)
    if ok and low is not None:
        ok = value >= low if left else value > low
    if ok and high is not None:
        ok = value <= high if right else value < high
    if not ok:
        extra = f" {hint}" if hint else ""
        raise ValueError(f"{name} must be a finite number{_interval(low, high, left, right)}, "
                         f"got {x!r}.{extra}")
    return value


def _interval(low, high, left: bool, right: bool) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'≥' if left else '>'} {low:g}"
    if low is None:
        return f" {'≤' if right else '<'} {high:g}"
    return f" in {'[' if left else '('}{low:g}, {high:g}{']' if right else ')'}"


def check_epsilon(epsilon, name: str = "epsilon") -> float:
    """Return ``epsilon`` as a float, or raise if it is not a finite number > 0."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(epsilon).__name__} {epsilon!r}.")
    value = float(epsilon)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"{name} must be a finite number > 0, got {epsilon!r}. "
            f"ε = 0 would mean no information at all and ε = inf no privacy; pick e.g. {name}=1.0."
        )
    return value


def check_delta(delta, name: str = "delta") -> float:
    """Return ``delta`` as a float, or raise if it is not in [0, 1)."""
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(delta).__name__} {delta!r}.")
    value = float(delta)
    if not math.isfinite(value) or not 0.0 <= value < 1.0:
        raise ValueError(
            f"{name} must lie in [0, 1), got {delta!r}; in practice choose δ much smaller than "
            f"1/n (e.g. 1e-6 for a million people)."
        )
    return value


def check_positive_delta(delta, why: str, name: str = "delta") -> float:
    """Like :func:`check_delta`, but δ = 0 is refused too; ``why`` explains the refusal."""
    value = check_delta(delta, name)
    if value == 0.0:
        raise ValueError(f"{name} must be > 0: {why}")
    return value


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer ≥ ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}.")
    return int(value)


def check_probability(p, name: str) -> float:
    """Return ``p`` as a float, or raise if it is not in [0, 1]."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}.")
    return float(p)


def check_domain_values(values, domain_size: int, name: str = "values") -> np.ndarray:
    """Return ``values`` as a 1-D int64 array of items in ``{0, …, domain_size-1}``.

    Raises on NaN, non-integers, values outside the domain and non-1-D input, naming the first
    offending entry.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array (one item per user), got shape {arr.shape}.")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name} contains {arr[i]} at position {i}; remove or impute it first.")
        if np.any(arr != np.round(arr)):
            i = int(np.flatnonzero(arr != np.round(arr))[0])
            raise ValueError(
                f"{name} must hold item indices (integers), got {arr[i]} at position {i}."
            )
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integer item indices 0..{domain_size - 1}, got dtype {arr.dtype}."
            " Map categories to indices first (e.g. with pandas.Categorical(...).codes)."
        )
    arr = arr.astype(np.int64, copy=False)
    outside = (arr < 0) | (arr >= domain_size)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{name}[{i}] = {arr[i]} is outside the domain {{0, …, {domain_size - 1}}}; "
            f"either fix the value or enlarge domain_size."
        )
    return arr


def check_binary(values, name: str = "bits") -> np.ndarray:
    """Return ``values`` as a 1-D int8 array of 0/1, or raise naming the first bad entry."""
    arr = check_domain_values(values, 2, name)
    return arr.astype(np.int8)


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0 (a scale, a bound
    on sensitivity, a granularity, …)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}.")
    result = float(value)
    if not math.isfinite(result) or result <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
    return result


def check_bounds(lower, upper, names: tuple[str, str] = ("lower", "upper")) -> tuple[float, float]:
    """Return (lower, upper) as floats, or raise unless both are finite and lower < upper."""
    out = []
    for name, value in zip(names, (lower, upper)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}.")
        if not math.isfinite(float(value)):
            raise ValueError(f"{name} must be a finite number, got {value!r}.")
        out.append(float(value))
    if not out[0] < out[1]:
        hint = "swap them" if out[0] > out[1] else "the range is empty"
        raise ValueError(
            f"{names[0]} must be < {names[1]}, got {names[0]}={lower!r}, {names[1]}={upper!r} "
            f"({hint}). Bounds are public, data-independent limits, e.g. 0 and 200000 for incomes."
        )
    return out[0], out[1]


def check_finite_array(values, name: str = "values") -> np.ndarray:
    """Return ``values`` as a float64 array (any shape), or raise on NaN/inf or non-numbers.

    The error names the first offending entry and its position.
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must hold numbers, got non-numeric entries (dtype object)."
            ) from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}.")
    arr = arr.astype(np.float64, copy=False)
    if arr.size and not np.isfinite(arr).all():
        flat = arr.reshape(-1)
        i = int(np.flatnonzero(~np.isfinite(flat))[0])
        where = np.unravel_index(i, arr.shape) if arr.ndim > 1 else i
        raise ValueError(
            f"{name} contains {flat[i]} at position {where}; remove or impute missing and "
            "infinite values first."
        )
    return arr
