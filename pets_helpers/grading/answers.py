"""Shared helpers of the lesson checks: turning a learner's returned value into what a check
compares (with a teaching error), recognising a number, and the seeded generators of a check's
cases."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .exercise import Mistake


def as_float(value, name: str) -> float:
    """``value`` as one finite float, or a :class:`Mistake` saying what ``name`` returned."""
    try:
        out = float(np.asarray(value, dtype=float).reshape(()))
    except Exception:
        raise Mistake(f"{name} should return one number, got {type(value).__name__} "
                      f"{value!r:.60}.") from None
    if not math.isfinite(out):
        raise Mistake(f"{name} returned {out}; it should be a finite number.")
    return out


def as_array(value, shape, name: str, unit: str = "one value per input") -> np.ndarray:
    """``value`` as a finite float array of ``shape``, or a :class:`Mistake` naming ``name``.

    ``unit`` says in words what each entry is (e.g. "one estimate per item").
    """
    shape = tuple(shape)
    try:
        arr = np.asarray(value, dtype=float)
    except Exception:
        raise Mistake(f"{name} should return a numpy array of numbers, got "
                      f"{type(value).__name__}.") from None
    if arr.shape != shape:
        raise Mistake(f"{name} should return {unit}: shape {shape}, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise Mistake(f"{name} returned non-finite values (nan/inf).")
    return arr


def as_bits(value, shape, name: str, unit: str = "one bit per input") -> np.ndarray:
    """``value`` as an int8 array of 0s and 1s of ``shape``, or a :class:`Mistake`."""
    arr = as_array(value, shape, name, unit)
    if not np.isin(arr, (0, 1)).all():
        raise Mistake(f"{name} should return only 0s and 1s ({unit}).")
    return arr.astype(np.int8)


def pair_digits(got: float, want: float) -> tuple[str, str]:
    """``got`` and ``want`` printed with just enough significant digits to tell them apart."""
    for digits in range(4, 18):
        a, b = f"{got:.{digits}g}", f"{want:.{digits}g}"
        if a != b:
            return a, b
    return repr(got), repr(want)


def rounding_mistake(got: float, want: float, name: str) -> str | None:
    """A message if ``got`` is ``want`` rounded (decimals or significant digits) or held in
    float32 — the formula was right, the precision was thrown away — else None."""
    got, want = float(got), float(want)
    if not (math.isfinite(got) and math.isfinite(want)) or got == want:
        return None
    shown, exact = pair_digits(got, want)
    exact = f"{want:.12g}"
    if float(np.float32(want)) == got:
        return (f"{name} returned {shown}, the right value {exact} held in float32 (about 7 "
                f"significant digits): compute and return a Python float or float64 — "
                f"float32 throws away precision that a privacy calculation needs.")
    if got == 0 or abs(got - want) > 0.05 * abs(want):
        return None  # too far off to be a rounding of the right value
    for digits in range(0, 10):
        by_decimals = round(want, digits) == got
        by_significant = digits >= 1 and float(f"{want:.{digits + 1}g}") == got
        if by_decimals or by_significant:
            how = (f"{digits} decimal place{'s' if digits != 1 else ''}" if by_decimals
                   else f"{digits + 1} significant digit{'s' if digits else ''}")
            return (f"You rounded: {name} returned {shown}, which is the right value {exact} "
                    f"rounded to {how}. Your formula is right — return the full-precision "
                    f"number and round only when you print it.")
    return None


def is_number(value) -> bool:
    """True for a real number (Python or numpy scalar), False for a bool and anything else."""
    return (isinstance(value, (numbers.Real, np.floating, np.integer))
            and not isinstance(value, (bool, np.bool_)))


def case_rng(lesson_seed: int, offset: int = 0) -> np.random.Generator:
    """The seeded generator of one check case: ``numpy.random.default_rng(lesson_seed + offset)``.

    Checks pass it as the ``rng`` of a learner's mechanism (see :mod:`pets_helpers.randomness`),
    so that a check is reproducible and two cases with different offsets are independent.
    """
    return np.random.default_rng(lesson_seed + offset)
