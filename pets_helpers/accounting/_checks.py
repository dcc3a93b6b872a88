"""Validators for real-valued parameters that :mod:`pets_helpers.validation` does not cover."""

from __future__ import annotations

import math
import numbers


def check_real(value, name: str, *, minimum: float = 0.0, strict: bool = True,
               hint: str = "") -> float:
    """Return ``value`` as a finite float > ``minimum`` (≥ when ``strict=False``), or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}.")
    out = float(value)
    ok = math.isfinite(out) and (out > minimum if strict else out >= minimum)
    if not ok:
        relation = ">" if strict else "≥"
        extra = f" {hint}" if hint else ""
        raise ValueError(
            f"{name} must be a finite number {relation} {minimum:g}, got {value!r}.{extra}"
        )
    return out
