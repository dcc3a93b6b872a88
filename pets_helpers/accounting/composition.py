"""Composition theorems for (ε, δ)-differential privacy.

All ε are in nats (the e^ε of the DP definition) and every bound keeps the privacy unit of the
releases it composes (e.g. "one person"): composing releases about different units is
meaningless.

- :func:`sequential_composition` (basic composition; Dwork, McSherry, Nissim, Smith 2006;
  Dwork & Lei 2009): k releases on the *same* data, the i-th (ε_i, δ_i)-DP, are jointly
  (Σ ε_i, Σ δ_i)-DP — whatever the analyst chooses adaptively between them.
- :func:`parallel_composition` (McSherry 2009): releases on *disjoint* parts of the data, where
  each person's record falls in at most one part by a rule that does not depend on the data of
  others (e.g. "the area you live in"), are jointly (max ε_i, max δ_i)-DP.
- :func:`advanced_composition` (Dwork, Rothblum, Vadhan 2010, Thm III.3): k adaptive
  (ε, δ)-DP releases are (ε', kδ + δ')-DP for every δ' > 0, with
  ε' = sqrt(2k ln(1/δ')) ε + k ε (e^ε − 1) — roughly √k ε instead of k ε.
- :func:`best_composition`: the smallest of the above (and, for pure ε-DP releases, the
  zCDP route of :mod:`.zcdp`) at the same final δ.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

from ..validation import check_delta, check_epsilon, check_positive_int


def _as_list(values, name: str) -> list:
    if isinstance(values, (str, bytes)) or isinstance(values, numbers.Number):
        raise TypeError(
            f"{name} must be a sequence of numbers (one per release), got {values!r}; "
            f"wrap a single value in a list: [{values!r}]."
        )
    try:
        out = list(values)
    except TypeError:
        raise TypeError(
            f"{name} must be a sequence of numbers (one per release), got "
            f"{type(values).__name__}."
        ) from None
    if not out:
        raise ValueError(f"{name} is empty: composition needs at least one release.")
    return out


def _check_budgets(epsilons, deltas) -> tuple[list[float], list[float]]:
    eps = [check_epsilon(e, f"epsilons[{i}]") for i, e in enumerate(_as_list(epsilons, "epsilons"))]
    if deltas is None:
        return eps, [0.0] * len(eps)
    dl = [check_delta(d, f"deltas[{i}]") for i, d in enumerate(_as_list(deltas, "deltas"))]
    if len(dl) != len(eps):
        raise ValueError(
            f"epsilons has {len(eps)} entries but deltas has {len(dl)}: give one δ per release "
            "(0.0 for a pure ε-DP release) or leave deltas=None."
        )
    return eps, dl


def sequential_composition(epsilons, deltas=None) -> tuple[float, float]:
    """Basic sequential composition: (Σ ε_i, Σ δ_i).

    ``epsilons``: the ε of each release on the same data (each > 0); ``deltas``: their δ
    (default: all 0, i.e. pure ε-DP releases). Sums use ``math.fsum`` (exactly rounded), so
    ten releases of 0.1 compose to exactly 1.0. A total δ ≥ 1 is returned as is, but it is a
    vacuous guarantee.
    """
    eps, dl = _check_budgets(epsilons, deltas)
    return math.fsum(eps), math.fsum(dl)


def parallel_composition(epsilons, deltas=None) -> tuple[float, float]:
    """Parallel composition over disjoint partitions: (max ε_i, max δ_i).

    Valid only if each individual's data can influence at most one of the releases: the
    partitions must be disjoint and defined by a public rule on a person's own record (not
    chosen by looking at the data). Otherwise use :func:`sequential_composition`.
    """
    eps, dl = _check_budgets(epsilons, deltas)
    return max(eps), max(dl)


def _check_delta_prime(delta_prime) -> float:
    delta_prime = check_delta(delta_prime, "delta_prime")
    if delta_prime == 0.0:
        raise ValueError(
            "delta_prime must be > 0: advanced composition trades a small extra failure "
            "probability δ' for a √k-sized ε; pick e.g. delta_prime=1e-6."
        )
    return delta_prime


def advanced_composition(epsilon, delta, k, delta_prime) -> tuple[float, float]:
    """Advanced composition of k adaptive (ε, δ)-DP releases (Dwork–Rothblum–Vadhan 2010).

    Returns (ε', kδ + δ') with ε' = sqrt(2k ln(1/δ')) ε + k ε (e^ε − 1).

    It beats sequential composition (kε) only when k is large and ε small; for a handful of
    releases, or ε ≳ 1, kε is smaller — :func:`best_composition` takes the minimum.
    """
    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta)
    k = check_positive_int(k, "k")
    delta_prime = _check_delta_prime(delta_prime)
    eps_total = math.sqrt(2.0 * k * math.log(1.0 / delta_prime)) * epsilon
    eps_total += k * epsilon * math.expm1(epsilon)
    return eps_total, k * delta + delta_prime


class CompositionBound(NamedTuple):
    """An (ε, δ) guarantee and the theorem it comes from."""

    epsilon: float
    delta: float
    method: str


def best_composition(epsilon, delta, k, delta_prime) -> CompositionBound:
    """The smallest ε among the valid bounds for k (ε, δ)-DP releases, at δ_total = kδ + δ'.

    Candidates: sequential (kε — an (kε, kδ) guarantee is also (kε, kδ + δ')); advanced
    composition; and, when δ = 0 (pure ε-DP releases, e.g. Laplace), zCDP: each release is
    ε²/2-zCDP, k of them kε²/2-zCDP, converted to (ε', δ') by Canonne–Kamath–Steinke 2020.
    Returns ``CompositionBound(epsilon, delta, method)`` with method in
    {"sequential", "advanced", "zcdp"}.
    """
    from .zcdp import rho_to_epsilon  # local import: zcdp imports nothing from here

    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta)
    k = check_positive_int(k, "k")
    delta_prime = _check_delta_prime(delta_prime)
    total_delta = k * delta + delta_prime
    candidates = [
        (k * epsilon, "sequential"),
        (advanced_composition(epsilon, delta, k, delta_prime)[0], "advanced"),
    ]
    if delta == 0.0:
        candidates.append((rho_to_epsilon(k * epsilon**2 / 2.0, delta_prime), "zcdp"))
    best_eps, method = min(candidates, key=lambda c: c[0])
    return CompositionBound(best_eps, total_delta, method)
