"""Strict validation of privacy-relevant input.

Every public helper calls these before doing any work, so that a bad ε, δ, bound or data value
raises one clear error that names the bad value and says how to fix it, instead of silently
producing a wrong (or non-private) answer.

One rule for every scalar, as in scikit-learn's ``check_scalar``: a value of the wrong *type*
(a string, a bool, None, an array where one number is expected) raises ``TypeError``; a value
of the right type but outside its range (NaN, infinity, a negative scale, ε = 0) raises
``ValueError``. Numbers written as text (``"0.5"``) are refused, never parsed: convert them first
(``float(x)``, or ``pandas.to_numeric(column)`` for a table column). The building blocks are
:func:`check_real` and :func:`check_int`; the named validators below are those two with the
range and the advice of one parameter.
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


def check_int(x, name: str, *, low=None, high=None) -> int:
    """Return ``x`` as an int in [``low``, ``high``] (a missing bound is unbounded), or raise.

    ``TypeError`` unless ``x`` is an integer (a bool or a float such as ``3.0`` is not);
    ``ValueError`` outside the range. The message names ``name`` and the bad value.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(x).__name__} {x!r}.")
    if (low is not None and x < low) or (high is not None and x > high):
        if high is None:
            where = f" ≥ {low}"
        elif low is None:
            where = f" ≤ {high}"
        else:
            where = f" in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer{where}, got {x!r}.")
    return int(x)


def check_epsilon(epsilon, name: str = "epsilon") -> float:
    """Return ``epsilon`` as a float, or raise if it is not a finite number > 0."""
    return check_real(epsilon, name, low=0, closed="neither",
                      hint=f"ε = 0 would mean no information at all and ε = inf no privacy; "
                           f"pick e.g. {name}=1.0.")


def check_delta(delta, name: str = "delta") -> float:
    """Return ``delta`` as a float, or raise if it is not in [0, 1)."""
    return check_real(delta, name, low=0, high=1, closed="left",
                      hint="In practice choose δ much smaller than 1/n (e.g. 1e-6 for a million "
                           "people).")


def check_positive_delta(delta, why: str, name: str = "delta") -> float:
    """Like :func:`check_delta`, but δ = 0 is refused too; ``why`` explains the refusal."""
    value = check_delta(delta, name)
    if value == 0.0:
        raise ValueError(f"{name} must be > 0: {why}")
    return value


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer ≥ ``minimum``."""
    return check_int(value, name, low=minimum)


def check_probability(p, name: str) -> float:
    """Return ``p`` as a float, or raise if it is not a probability in [0, 1]."""
    return check_real(p, name, low=0, high=1, closed="both", hint="It is a probability.")


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
    return check_real(value, name, low=0, closed="neither")


def check_bounds(lower, upper, names: tuple[str, str] = ("lower", "upper")) -> tuple[float, float]:
    """Return (lower, upper) as floats, or raise unless both are finite and lower < upper."""
    out = []
    for name, value in zip(names, (lower, upper)):
        out.append(check_real(value, name))
    if not out[0] < out[1]:
        hint = "swap them" if out[0] > out[1] else "the range is empty"
        raise ValueError(
            f"{names[0]} must be < {names[1]}, got {names[0]}={lower!r}, {names[1]}={upper!r} "
            f"({hint}). Bounds are public, data-independent limits, e.g. 0 and 200000 for incomes."
        )
    return out[0], out[1]


def check_not_text(values, name: str = "values") -> np.ndarray:
    """Return ``values`` as a numpy array, or raise ``TypeError`` if it holds text.

    The one rule for numbers written as text, wherever they come from (a numpy string array, a
    pandas column of strings of dtype object or ``string``): refuse them, naming the first one,
    and say how to convert. Other entries (numbers, None, NaN) are left to the caller.
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "USO":
        return arr
    text = (np.ones(arr.shape, dtype=bool) if arr.dtype.kind in "US"
            else np.frompyfunc(lambda v: isinstance(v, (str, bytes)), 1, 1)(arr).astype(bool))
    if text.any():
        flat = arr.reshape(-1)
        i = int(np.flatnonzero(text.reshape(-1))[0])
        where = tuple(int(k) for k in np.unravel_index(i, arr.shape)) if arr.ndim > 1 else i
        entry = flat[i].item() if isinstance(flat[i], np.generic) else flat[i]
        raise TypeError(
            f"{name} must hold numbers, but it holds text ({entry!r} at position {where}). "
            f"Convert it first: pandas.to_numeric(column) for a table column (errors='coerce' "
            f"turns unparsable entries into NaN), or numpy.asarray(values, dtype=float)."
        )
    return arr


def check_finite_array(values, name: str = "values") -> np.ndarray:
    """Return ``values`` as a float64 array (any shape), or raise on NaN/inf or non-numbers.

    The error names the first offending entry and its position. Text is refused, whether it
    comes as a numpy string array or as a pandas column of strings (dtype object or
    ``string``): numbers written as text are never parsed silently (see the module docstring).
    """
    arr = check_not_text(values, name)
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
        where = tuple(int(k) for k in np.unravel_index(i, arr.shape)) if arr.ndim > 1 else i
        raise ValueError(
            f"{name} contains {flat[i]} at position {where}; remove or impute missing and "
            "infinite values first."
        )
    return arr
