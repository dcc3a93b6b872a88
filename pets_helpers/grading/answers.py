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
