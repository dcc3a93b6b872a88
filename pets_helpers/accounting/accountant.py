"""Privacy budget accountants that refuse to overspend.

:class:`PrivacyAccountant` keeps an (ε, δ) budget under **basic sequential composition**
(the totals add up) and **parallel composition** over disjoint partitions (a group of releases
on disjoint parts of the data costs its largest ε and δ, not their sum). Every release must go
through :meth:`~PrivacyAccountant.spend` (or :meth:`~PrivacyAccountant.spend_parallel` /
:meth:`~PrivacyAccountant.parallel`) *before* it is made: a spend that would exceed the total
raises :class:`BudgetExceeded` and leaves the ledger unchanged, so the release must not happen.

:class:`ZCDPAccountant` does the same with a zCDP budget ρ (Gaussian releases compose much
better there) and reports the (ε, δ) it amounts to.

Float care: totals are summed with ``math.fsum`` and compared with a relative tolerance of
1e-9 (:data:`REL_TOL`), so spending exactly the remaining budget in pieces (0.1 ten times out
of 1.0) is allowed, while any real overspend is refused.

All ε are in nats, and all entries of one accountant must share one privacy unit (e.g. "one
person"); the accountant cannot check that — say it in the labels.
"""

from __future__ import annotations

import html
import math
from contextlib import contextmanager
from typing import NamedTuple

from ..validation import check_delta, check_epsilon, check_real
from .zcdp import gaussian_rho, laplace_rho, rho_to_epsilon

REL_TOL = 1e-9
"""Relative tolerance of budget comparisons (absorbs float rounding of sums, nothing more)."""


class BudgetExceeded(ValueError):
    """A spend would exceed the accountant's total budget; nothing was recorded."""


class LedgerEntry(NamedTuple):
    """One recorded release: its label, the (ε, δ) charged for it, and how it was charged.

    ``kind`` is "sequential" (a single release) or "parallel" (a group of releases on disjoint
    partitions, charged its maximum).
    """

    label: str
    epsilon: float
    delta: float
    kind: str


class ZCDPEntry(NamedTuple):
    """One release recorded by :class:`ZCDPAccountant`: its label, the ρ charged for it, and
    how ρ was computed — "gaussian" (Δ²/2σ²), "pure" (ε²/2) or "rho" (given directly)."""

    label: str
    rho: float
    kind: str


def _fits(spent: float, extra: float, total: float) -> bool:
    """True when spent + extra ≤ total up to float rounding (relative tolerance REL_TOL)."""
    return math.fsum([spent, extra]) <= total * (1.0 + REL_TOL)


def _check_label(label) -> str:
    if not isinstance(label, str):
        raise TypeError(f"label must be a string describing the release, got {label!r}.")
    return label


def _bar_html(fraction: float, colour: str) -> str:
    pct = 100.0 * min(max(fraction, 0.0), 1.0)
    return (
        '<div style="width:18em;height:0.9em;border:1px solid #888;background:#eee;'
        'display:inline-block;vertical-align:middle">'
        f'<div style="width:{pct:.1f}%;height:100%;background:{colour}"></div></div>'
        f" {pct:.1f}%"
    )


class PrivacyAccountant:
    """An (ε, δ) budget spent release by release; refuses any spend that would exceed it.

    Parameters
    ----------
    total_epsilon : float > 0
        The total ε (nats) all releases together may use, for one privacy unit.
    total_delta : float in [0, 1), default 0
        The total δ. With 0 (the default) only pure ε-DP releases can be recorded.

    Example
    -------
    >>> acc = PrivacyAccountant(1.0)
    >>> acc.spend(0.3, label="mean income")
    >>> acc.spend_parallel({"area A": 0.5, "area B": 0.5}, label="count per area")
    >>> [round(x, 12) for x in acc.remaining]  # (ε, δ) left
    [0.2, 0.0]
    """

    def __init__(self, total_epsilon, total_delta=0.0):
        self.total_epsilon = check_epsilon(total_epsilon, "total_epsilon")
        self.total_delta = check_delta(total_delta, "total_delta")
        self._ledger: list[LedgerEntry] = []
        self._partitions: list[dict | None] = []
        self._open_groups: list[_ParallelGroup] = []

    # ---------------------------------------------------------------- state
    @property
    def spent(self) -> tuple[float, float]:
        """(ε, δ) spent so far (sequential sum of the ledger)."""
        return (math.fsum(e.epsilon for e in self._ledger),
                math.fsum(e.delta for e in self._ledger))

    def _committed(self, exclude=None) -> tuple[float, float]:
        """Spent so far plus the cost of open :meth:`parallel` groups (other than ``exclude``)."""
        eps = [e.epsilon for e in self._ledger]
        delta = [e.delta for e in self._ledger]
        for group in self._open_groups:
            if group is not exclude:
                eps.append(group.cost[0])
                delta.append(group.cost[1])
        return math.fsum(eps), math.fsum(delta)

    @property
    def remaining(self) -> tuple[float, float]:
        """(ε, δ) still available, never negative (rounding dust below REL_TOL counts as 0).

        Inside an open :meth:`parallel` block, what that group has used so far is already
        subtracted.
        """
        eps, delta = self._committed()
        return (self._left(self.total_epsilon, eps), self._left(self.total_delta, delta))

    @staticmethod
    def _left(total: float, spent: float) -> float:
        left = total - spent
        return 0.0 if left <= REL_TOL * max(total, 1e-300) else left

    @property
    def ledger(self) -> list[LedgerEntry]:
        """A copy of the recorded releases, in order."""
        return list(self._ledger)

    def __len__(self) -> int:
        return len(self._ledger)

    def can_spend(self, epsilon, delta=0.0) -> bool:
        """Whether a release costing (ε, δ) would fit in what is left (inputs validated)."""
        epsilon = check_epsilon(epsilon)
        delta = check_delta(delta)
        eps_spent, delta_spent = self._committed()
        return (_fits(eps_spent, epsilon, self.total_epsilon)
                and _fits(delta_spent, delta, self.total_delta))

    # ---------------------------------------------------------------- spending
    def _charge(self, epsilon: float, delta: float, label: str, kind: str,
                partitions: dict | None = None) -> None:
        eps_spent, delta_spent = self._committed()
        problems = []
        if not _fits(eps_spent, epsilon, self.total_epsilon):
            problems.append(f"ε = {epsilon:.6g} but only {self.remaining[0]:.6g} of "
                            f"{self.total_epsilon:.6g} is left")
        if not _fits(delta_spent, delta, self.total_delta):
            problems.append(f"δ = {delta:.3g} but only {self.remaining[1]:.3g} of "
                            f"{self.total_delta:.3g} is left")
        if problems:
            what = f"release {label!r}" if label else "this release"
            raise BudgetExceeded(
                f"Refused: {what} asks for " + " and ".join(problems) + ". Nothing was "
                "recorded and the release must not be made. To fix: spend less on it (more "
                "noise), drop or merge queries, use parallel composition if the releases touch "
                "disjoint partitions, or start with a larger total budget (a weaker guarantee)."
            )
        self._ledger.append(LedgerEntry(label, epsilon, delta, kind))
        self._partitions.append(partitions)

    def spend(self, epsilon, delta=0.0, label: str = "") -> None:
        """Record one release costing (ε, δ) under sequential composition.

        Raises :class:`BudgetExceeded` (a ValueError) and records nothing if the total would be
        exceeded; ValueError/TypeError on an invalid ε (must be finite > 0) or δ (in [0, 1)).
        """
        epsilon = check_epsilon(epsilon)
        delta = check_delta(delta)
        self._charge(epsilon, delta, _check_label(label), "sequential")

    def spend_parallel(self, partitions, label: str = "") -> None:
        """Record a group of releases on **disjoint** partitions; charges the max ε and max δ.

        ``partitions`` maps a partition name to its ε, or to an (ε, δ) pair, e.g.
        ``{"area A": 0.5, "area B": 0.5}`` costs 0.5, not 1.0.

        Only valid if every individual belongs to at most one partition by a public rule on
        their own record (e.g. their home area, fixed in advance — not a split chosen by looking
        at the data); a person in two partitions is charged twice and the sum must be used.
        """
        if not hasattr(partitions, "items") or not partitions:
            raise TypeError(
                "partitions must be a non-empty dict {partition name: epsilon or "
                f"(epsilon, delta)}}, got {partitions!r}."
            )
        parts = {}
        for name, cost in partitions.items():
            if isinstance(cost, (tuple, list)):
                if len(cost) != 2:
                    raise ValueError(f"partition {name!r}: give ε or an (ε, δ) pair, got {cost!r}.")
                eps, delta = cost
            else:
                eps, delta = cost, 0.0
            parts[str(name)] = (check_epsilon(eps, f"epsilon of partition {name!r}"),
                                check_delta(delta, f"delta of partition {name!r}"))
        epsilon = max(e for e, _ in parts.values())
        delta = max(d for _, d in parts.values())
        self._charge(epsilon, delta, _check_label(label), "parallel", parts)

    @contextmanager
    def parallel(self, label: str = ""):
        """Context manager for releases computed one partition at a time, e.g. in a loop::

            with acc.parallel("count per area") as group:
                for area in areas:
                    group.spend(area, 0.5)     # checked *before* each release
                    release(noisy_count(area, epsilon=0.5))

        Each ``group.spend(partition, ε, δ=0)`` is checked immediately: it raises
        :class:`BudgetExceeded` if the group's cost (the max over partitions of what each
        partition spent; spends on the same partition add up) would no longer fit. On leaving
        the block — even through an exception — whatever the group spent is recorded as one
        "parallel" ledger entry. Same disjointness requirement as :meth:`spend_parallel`.
        """
        label = _check_label(label)
        group = _ParallelGroup(self, label)
        self._open_groups.append(group)
        try:
            yield group
        finally:
            self._open_groups.remove(group)
            if group.parts:
                eps = max(e for e, _ in group.parts.values())
                delta = max(d for _, d in group.parts.values())
                self._ledger.append(LedgerEntry(label, eps, delta, "parallel"))
                self._partitions.append(dict(group.parts))

    # ---------------------------------------------------------------- display
    def to_frame(self):
        """The ledger as a pandas DataFrame (label, epsilon, delta, kind, partitions)."""
        import pandas as pd

        rows = [dict(e._asdict(), partitions=", ".join(p) if p else "")
                for e, p in zip(self._ledger, self._partitions)]
        return pd.DataFrame(rows, columns=["label", "epsilon", "delta", "kind", "partitions"])

    def __repr__(self) -> str:
        eps, delta = self.spent
        rem_eps, rem_delta = self.remaining
        return (f"PrivacyAccountant(total_epsilon={self.total_epsilon:g}, "
                f"total_delta={self.total_delta:g}; spent ε={eps:.6g}, δ={delta:.3g}; "
                f"remaining ε={rem_eps:.6g}, δ={rem_delta:.3g}; {len(self._ledger)} releases)")

    def _repr_html_(self) -> str:
        eps, delta = self.spent
        rows = []
        for i, (entry, parts) in enumerate(zip(self._ledger, self._partitions), 1):
            detail = ""
            if parts:
                detail = "<br><small>" + html.escape(", ".join(
                    f"{n}: ε={e:.4g}" + (f", δ={d:.2g}" if d else "") for n, (e, d) in parts.items()
                )) + "</small>"
            name = html.escape(entry.label) or "<i>unlabelled</i>"
            rows.append(
                f"<tr><td>{i}</td><td>{name}{detail}</td>"
                f"<td>{entry.epsilon:.4g}</td><td>{entry.delta:.3g}</td><td>{entry.kind}</td></tr>"
            )
        table = (
            "<table><tr><th>#</th><th>release</th><th>ε</th><th>δ</th><th>composition</th></tr>"
            + "".join(rows) + "</table>" if rows else "<p><i>No releases yet.</i></p>"
        )
        delta_line = ""
        if self.total_delta > 0:
            delta_line = (f"<div>δ: {delta:.3g} of {self.total_delta:.3g} "
                          f"{_bar_html(delta / self.total_delta, '#8e6cbf')}</div>")
        colour = "#c0392b" if self.remaining[0] == 0 else "#2e86c1"
        return (
            "<div><b>Privacy budget</b>"
            f"<div>ε: {eps:.4g} of {self.total_epsilon:.4g} "
            f"{_bar_html(eps / self.total_epsilon, colour)}</div>{delta_line}{table}</div>"
        )


class _ParallelGroup:
    """Handle yielded by :meth:`PrivacyAccountant.parallel`."""

    def __init__(self, accountant: PrivacyAccountant, label: str):
        self._acc = accountant
        self._label = label
        self.parts: dict[str, tuple[float, float]] = {}

    @property
    def cost(self) -> tuple[float, float]:
        """The group's current charge: (max ε, max δ) over its partitions."""
        if not self.parts:
            return (0.0, 0.0)
        return (max(e for e, _ in self.parts.values()), max(d for _, d in self.parts.values()))

    def spend(self, partition, epsilon, delta=0.0) -> None:
        """Record a release on one partition; raises BudgetExceeded if the group would not fit."""
        epsilon = check_epsilon(epsilon)
        delta = check_delta(delta)
        name = str(partition)
        old_eps, old_delta = self.parts.get(name, (0.0, 0.0))
        new = (old_eps + epsilon, old_delta + delta)
        eps_cost = max(self.cost[0], new[0])
        delta_cost = max(self.cost[1], new[1])
        acc = self._acc
        eps_spent, delta_spent = acc._committed(exclude=self)
        if not (_fits(eps_spent, eps_cost, acc.total_epsilon)
                and _fits(delta_spent, delta_cost, acc.total_delta)):
            raise BudgetExceeded(
                f"Refused: partition {name!r} of {self._label or 'this parallel group'!r} would "
                f"raise the group's cost to ε = {eps_cost:.6g}, δ = {delta_cost:.3g}, but only "
                f"ε = {max(acc.total_epsilon - eps_spent, 0.0):.6g}, "
                f"δ = {max(acc.total_delta - delta_spent, 0.0):.3g} is left outside this group. "
                "The partition was not recorded and must not be released; spend less on it or "
                "enlarge the total budget."
            )
        self.parts[name] = new


class ZCDPAccountant:
    """A zCDP budget ρ (Bun & Steinke 2016): Gaussian releases add ρ = Δ²/(2σ²).

    Pure ε-DP releases cost ε²/2. :meth:`epsilon` converts what was spent to (ε, δ)-DP with
    the Canonne–Kamath–Steinke conversion. Same refusal rules as :class:`PrivacyAccountant`;
    the ledger holds :class:`ZCDPEntry` records (label, ρ, kind).

    Build one from an (ε, δ) target with :meth:`from_epsilon_delta`.
    """

    def __init__(self, total_rho):
        self.total_rho = check_real(total_rho, "total_rho", low=0, closed="neither",
                                    hint="e.g. ZCDPAccountant.from_epsilon_delta(1.0, 1e-6).")
        self._ledger: list[LedgerEntry] = []

    @classmethod
    def from_epsilon_delta(cls, epsilon, delta) -> "ZCDPAccountant":
        """The largest zCDP budget that still guarantees (ε, δ)-DP overall."""
        from .zcdp import epsilon_to_rho

        return cls(epsilon_to_rho(epsilon, delta))

    @property
    def spent_rho(self) -> float:
        return math.fsum(e.rho for e in self._ledger)

    @property
    def remaining_rho(self) -> float:
        left = self.total_rho - self.spent_rho
        return 0.0 if left <= REL_TOL * self.total_rho else left

    @property
    def ledger(self) -> list[ZCDPEntry]:
        return list(self._ledger)

    def can_spend_rho(self, rho) -> bool:
        rho = check_real(rho, "rho", low=0, closed="neither")
        return _fits(self.spent_rho, rho, self.total_rho)

    def _charge(self, rho: float, label: str, kind: str) -> float:
        label = _check_label(label)
        if not _fits(self.spent_rho, rho, self.total_rho):
            what = f"release {label!r}" if label else "this release"
            raise BudgetExceeded(
                f"Refused: {what} costs ρ = {rho:.6g} but only {self.remaining_rho:.6g} of "
                f"ρ = {self.total_rho:.6g} is left. Nothing was recorded and the release must not "
                "be made. To fix: add more noise (ρ = Δ²/(2σ²) falls as σ grows), drop queries, "
                "or start with a larger total budget."
            )
        self._ledger.append(ZCDPEntry(label, rho, kind))
        return rho

    def spend_gaussian(self, sensitivity, sigma, label: str = "") -> float:
        """Record a Gaussian release (ℓ2-sensitivity Δ, noise std σ); returns its ρ."""
        return self._charge(gaussian_rho(sensitivity, sigma), label, "gaussian")

    def spend_pure(self, epsilon, label: str = "") -> float:
        """Record a pure ε-DP release (e.g. Laplace) as ε²/2-zCDP; returns its ρ."""
        return self._charge(laplace_rho(epsilon), label, "pure")

    def spend_rho(self, rho, label: str = "") -> float:
        """Record a release known to be ρ-zCDP; returns ρ."""
        return self._charge(check_real(rho, "rho", low=0, closed="neither"), label, "rho")

    def epsilon(self, delta) -> float:
        """The (ε, δ)-DP guarantee of everything spent so far, at the given δ > 0."""
        return rho_to_epsilon(self.spent_rho, delta)

    def __len__(self) -> int:
        return len(self._ledger)

    def __repr__(self) -> str:
        return (f"ZCDPAccountant(total_rho={self.total_rho:.6g}; spent ρ={self.spent_rho:.6g}, "
                f"remaining ρ={self.remaining_rho:.6g}; {len(self._ledger)} releases)")

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{i}</td><td>{html.escape(e.label) or '<i>unlabelled</i>'}</td>"
            f"<td>{e.rho:.4g}</td><td>{e.kind}</td></tr>"
            for i, e in enumerate(self._ledger, 1)
        )
        table = ("<table><tr><th>#</th><th>release</th><th>ρ</th><th>kind</th></tr>"
                 + rows + "</table>") if rows else "<p><i>No releases yet.</i></p>"
        colour = "#c0392b" if self.remaining_rho == 0 else "#2e86c1"
        return (f"<div><b>zCDP budget</b><div>ρ: {self.spent_rho:.4g} of {self.total_rho:.4g} "
                f"{_bar_html(self.spent_rho / self.total_rho, colour)}</div>{table}</div>")
