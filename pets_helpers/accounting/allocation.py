"""Allocating a total ε across the queries of a dashboard (Laplace mechanism).

Each query i has an ℓ1-sensitivity Δ_i and an accuracy target, either

- a noise standard deviation: Laplace noise of scale b = Δ/ε has std √2·Δ/ε, so the target
  std s needs ε_i ≥ √2·Δ_i / s  (:func:`laplace_epsilon_for_std`), or
- an error bound at a confidence level c: P[|noise| ≤ t] = 1 − e^{−tε/Δ} ≥ c needs
  ε_i ≥ Δ_i · ln(1/(1−c)) / t  (:func:`laplace_epsilon_for_error`).

Queries answered on the same data compose **sequentially** (their ε add up); queries in one
**parallel group** — e.g. all the cells of one heatmap, where each person falls in exactly one
cell by a public rule — cost only the largest ε in the group. The design is feasible iff

    Σ_groups max_{i in group} ε_i  ≤  total ε.

:func:`allocate_budget` returns the minimal requirement, and when feasible spreads the
leftover proportionally (every ε multiplied by total/required, so every query gets *more*
accuracy than asked and the total is used exactly); otherwise it reports the shortfall.
Every member of a parallel group receives the group's ε: that costs nothing extra.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..validation import check_epsilon, check_probability, check_real

_ALLOC_REL_TOL = 1e-9


def laplace_epsilon_for_std(sensitivity, target_std) -> float:
    """Smallest ε with Laplace noise std √2·Δ/ε ≤ ``target_std``: ε = √2·Δ / target_std."""
    sensitivity = check_real(sensitivity, "sensitivity", low=0, closed="neither")
    target_std = check_real(target_std, "target_std", low=0, closed="neither")
    return math.sqrt(2.0) * sensitivity / target_std


def laplace_epsilon_for_error(sensitivity, error, confidence=0.95) -> float:
    """Smallest ε with P[|Laplace noise| ≤ error] ≥ confidence: ε = Δ·ln(1/(1−c)) / error.

    (|Lap(b)| is exponential with mean b, so P[|noise| ≤ t] = 1 − e^{−t/b}, b = Δ/ε.)
    """
    sensitivity = check_real(sensitivity, "sensitivity", low=0, closed="neither")
    error = check_real(error, "error", low=0, closed="neither",
                       hint="It is the largest acceptable |noise|.")
    confidence = _check_confidence(confidence)
    return sensitivity * math.log(1.0 / (1.0 - confidence)) / error


def _check_confidence(confidence) -> float:
    c = check_probability(confidence, "confidence")
    if not 0.0 < c < 1.0:
        raise ValueError(
            f"confidence must lie strictly between 0 and 1 (e.g. 0.95), got {confidence!r}."
        )
    return c


@dataclass(frozen=True)
class DashboardQuery:
    """One query of a dashboard and its accuracy target (give target_std *or* target_error).

    ``group``: name of a parallel group (queries on disjoint partitions, e.g. the cells of one
    heatmap); queries without a group each compose sequentially.
    """

    name: str
    sensitivity: float
    target_std: float | None = None
    target_error: float | None = None
    confidence: float = 0.95
    group: str | None = None
    mechanism: str = "laplace"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a query needs a non-empty string name, got {self.name!r}.")
        check_real(self.sensitivity, f"sensitivity of {self.name!r}", low=0, closed="neither")
        if (self.target_std is None) == (self.target_error is None):
            raise ValueError(
                f"query {self.name!r}: give exactly one accuracy target, target_std=... or "
                "target_error=... (with confidence=...)."
            )
        if self.target_std is not None:
            check_real(self.target_std, f"target_std of {self.name!r}", low=0, closed="neither")
        else:
            check_real(self.target_error, f"target_error of {self.name!r}", low=0,
                       closed="neither")
            _check_confidence(self.confidence)
        if self.mechanism != "laplace":
            raise ValueError(
                f"query {self.name!r}: only mechanism='laplace' is supported (pure ε-DP, so the "
                f"ε add up), got {self.mechanism!r}."
            )
        if self.group is not None and not isinstance(self.group, str):
            raise TypeError(f"query {self.name!r}: group must be a string or None.")

    @property
    def min_epsilon(self) -> float:
        """The smallest ε meeting this query's target."""
        if self.target_std is not None:
            return laplace_epsilon_for_std(self.sensitivity, self.target_std)
        return laplace_epsilon_for_error(self.sensitivity, self.target_error, self.confidence)


def _as_query(q) -> DashboardQuery:
    if isinstance(q, DashboardQuery):
        return q
    if isinstance(q, dict):
        unknown = set(q) - set(DashboardQuery.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown query field(s) {sorted(unknown)}; allowed: "
                             f"{sorted(DashboardQuery.__dataclass_fields__)}.")
        return DashboardQuery(**q)
    if isinstance(q, (tuple, list)) and len(q) == 3:
        return DashboardQuery(q[0], q[1], target_std=q[2])
    raise TypeError(
        "each query must be a DashboardQuery, a dict of its fields, or a tuple "
        f"(name, sensitivity, target_std); got {q!r}."
    )


class InfeasibleBudget(ValueError):
    """The accuracy targets need more ε than the total budget."""

    def __init__(self, message: str, required: float, total: float):
        super().__init__(message)
        self.required = required
        self.total = total
        self.shortfall = required - total


@dataclass
class BudgetAllocation:
    """Result of :func:`allocate_budget`.

    ``feasible``; ``total_epsilon``; ``required_epsilon`` (Σ over groups of the max minimal ε);
    ``shortfall`` (required − total, 0 when feasible); ``leftover`` (total − allocated, 0 after
    proportional spreading); ``epsilons`` (query name → allocated ε, empty when infeasible);
    ``table`` (a DataFrame, one row per query); ``message``.
    """

    feasible: bool
    total_epsilon: float
    required_epsilon: float
    allocated_epsilon: float
    epsilons: dict
    table: object
    message: str
    group_costs: dict = field(default_factory=dict)

    @property
    def shortfall(self) -> float:
        return max(0.0, self.required_epsilon - self.total_epsilon) if not self.feasible else 0.0

    @property
    def leftover(self) -> float:
        return max(0.0, self.total_epsilon - self.allocated_epsilon) if self.feasible else 0.0

    def __repr__(self) -> str:
        return f"BudgetAllocation({self.message})"

    def _repr_html_(self) -> str:
        import html

        return f"<p><b>{html.escape(self.message)}</b></p>" + self.table.to_html(index=False)


def allocate_budget(total_epsilon, queries, *, spread: str = "proportional",
                    strict: bool = False) -> BudgetAllocation:
    """Allocate ``total_epsilon`` across Laplace ``queries`` to meet their accuracy targets.

    ``queries``: DashboardQuery objects, dicts of their fields, or (name, sensitivity,
    target_std) tuples. ``spread``: "proportional" (multiply every ε by total/required, using
    the whole budget) or "none" (keep the minimal ε, report the leftover). ``strict=True``
    raises :class:`InfeasibleBudget` instead of returning an infeasible result.
    """
    import pandas as pd

    total = check_epsilon(total_epsilon, "total_epsilon")
    if spread not in ("proportional", "none"):
        raise ValueError(f"spread must be 'proportional' or 'none', got {spread!r}.")
    if isinstance(queries, (str, bytes, dict)) or not hasattr(queries, "__iter__"):
        raise TypeError("queries must be a list of queries (DashboardQuery, dict or tuple).")
    qs = [_as_query(q) for q in queries]
    if not qs:
        raise ValueError("queries is empty: nothing to allocate.")
    names = [q.name for q in qs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"query names must be unique; repeated: {dupes}.")

    clash = sorted({q.group for q in qs if q.group is not None}
                   & {q.name for q in qs if q.group is None})
    if clash:
        raise ValueError(f"{clash} is used both as a group name and as an ungrouped query's "
                         "name; rename one so the cost report is unambiguous.")
    # A group key per query: its parallel group, or itself alone.
    keys = [("group", q.group) if q.group is not None else ("query", q.name) for q in qs]
    mins = [q.min_epsilon for q in qs]
    group_req: dict = {}
    for key, m in zip(keys, mins):
        group_req[key] = max(group_req.get(key, 0.0), m)
    required = math.fsum(group_req.values())
    feasible = required <= total * (1.0 + _ALLOC_REL_TOL)
    group_costs = {k[1]: v for k, v in group_req.items()}

    if feasible:
        scale = total / required if spread == "proportional" else 1.0
        alloc = [group_req[k] * scale for k in keys]
        allocated = math.fsum(v * scale for v in group_req.values())
        if spread == "proportional":
            allocated = total
        left = max(0.0, total - allocated)
        message = (f"Feasible: the targets need ε = {required:.4g} of {total:.4g}; "
                   + (f"the leftover {total - required:.4g} was spread proportionally "
                      f"(every ε × {scale:.4g})." if spread == "proportional"
                      else f"leftover ε = {left:.4g} unspent."))
    else:
        alloc = [math.nan] * len(qs)
        allocated = 0.0
        message = (
            f"Infeasible: the accuracy targets need ε = {required:.4g} in total but only "
            f"{total:.4g} is available (shortfall {required - total:.4g}). Relax every noise "
            f"target by a factor ≥ {required / total:.3g}, raise the total budget, drop queries, "
            "or answer disjoint cells (e.g. of a heatmap) as one parallel group."
        )

    rows = []
    for q, _key, m, e in zip(qs, keys, mins, alloc):
        std = math.sqrt(2.0) * q.sensitivity / e if feasible else math.nan
        rows.append({
            "name": q.name,
            "group": q.group if q.group is not None else "",
            "sensitivity": q.sensitivity,
            "target": (f"std ≤ {q.target_std:g}" if q.target_std is not None
                       else f"|error| ≤ {q.target_error:g} w.p. {q.confidence:g}"),
            "min_epsilon": m,
            "epsilon": e,
            "noise_std": std,
            "meets_target": bool(feasible and e >= m * (1.0 - _ALLOC_REL_TOL)),
        })
    table = pd.DataFrame(rows)
    result = BudgetAllocation(
        feasible=feasible,
        total_epsilon=total,
        required_epsilon=required,
        allocated_epsilon=allocated,
        epsilons={q.name: e for q, e in zip(qs, alloc)} if feasible else {},
        table=table,
        message=message,
        group_costs=group_costs,
    )
    if strict and not feasible:
        raise InfeasibleBudget(message, required, total)
    return result
