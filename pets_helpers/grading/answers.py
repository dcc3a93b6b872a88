"""Turning a learner's returned value into what a check compares, with a teaching error."""

from __future__ import annotations

import math

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
