"""The consortium's privacy ledger: one entry per stage, and the total statement it supports.

Each stage that releases something differentially private records its (ε, δ) and its privacy
unit: ``"transaction"``, ``"customer"`` or ``"bank"``. A guarantee for a coarser unit covers
every finer one (a bank-level ε protects each customer and each transaction of that bank with
the same ε), never the other way round (a customer with 40 transactions is not protected by a
transaction-level ε without group privacy). So the stages compose, by sequential composition on
the *same* people, into one statement for the **finest** unit in the ledger: ε and δ add up.
A stage that releases nothing DP (ε = δ = 0, e.g. encrypted scoring) adds nothing to it — its
protection is confidentiality, stated separately.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..accounting import PrivacyAccountant, ZCDPAccountant
from ..validation import check_delta, check_positive_delta, check_real

#: Privacy units from finest to coarsest.
UNITS = ("transaction", "customer", "bank")


class StageCost(NamedTuple):
    """One ledger line: a pipeline stage, the (ε, δ) it spent and for which unit."""

    stage: str
    epsilon: float
    delta: float
    unit: str | None  # None for a stage without a DP release

    def as_dict(self) -> dict:
        return dict(self._asdict())


def check_stage(entry) -> StageCost:
    """A ledger line as :class:`StageCost` (from a StageCost or a plain dict), validated."""
    if isinstance(entry, dict):
        missing = {"stage", "epsilon", "delta", "unit"} - set(entry)
        if missing:
            raise ValueError(f"ledger entry {entry!r} lacks {sorted(missing)}.")
        entry = StageCost(entry["stage"], entry["epsilon"], entry["delta"], entry["unit"])
    if not isinstance(entry, StageCost):
        raise TypeError(f"a ledger entry is a StageCost or a dict, got {type(entry).__name__}.")
    eps = check_real(entry.epsilon, "epsilon", low=0)
    delta = check_delta(entry.delta)
    releases = eps > 0 or delta > 0
    if releases and entry.unit not in UNITS:
        raise ValueError(f"stage {entry.stage!r} spends ε = {eps:g} but its unit {entry.unit!r} is not "
                         f"one of {UNITS}.")
    return StageCost(str(entry.stage), eps, delta, entry.unit if releases else None)


def stage_from_accountant(stage: str, accountant, unit: str, delta=None) -> StageCost:
    """The ledger line of a stage whose mechanisms were recorded by a course accountant.

    A :class:`~pets_helpers.accounting.PrivacyAccountant` gives its spent (ε, δ); a
    :class:`~pets_helpers.accounting.ZCDPAccountant` gives its spent ρ as (ε, δ) at the ``delta``
    you choose (Canonne–Kamath–Steinke conversion) — ``delta`` is required for it and refused
    for the other (whose δ is what it spent).
    """
    if isinstance(accountant, PrivacyAccountant):
        if delta is not None:
            raise ValueError("a PrivacyAccountant's δ is what it spent: do not pass delta.")
        eps, d = accountant.spent
    elif isinstance(accountant, ZCDPAccountant):
        if delta is None:
            raise ValueError("a ZCDPAccountant's ρ becomes (ε, δ) at a δ you choose: pass "
                             "delta=… (e.g. 1e-6, well below 1/number of units).")
        d = check_positive_delta(delta, "a zCDP guarantee is stated as (ε, δ) at a δ > 0")
        eps = accountant.epsilon(d)
    else:
        raise TypeError(f"accountant must be a PrivacyAccountant or a ZCDPAccountant, got "
                        f"{type(accountant).__name__}.")
    return check_stage(StageCost(stage, eps, d, unit))


def total_privacy_statement(ledger) -> dict:
    """Compose a ledger: {"epsilon": Σε, "delta": Σδ, "unit": finest unit among DP stages}."""
    entries = [check_stage(e) for e in ledger]
    dp = [e for e in entries if e.unit is not None]
    if not dp:
        return {"epsilon": 0.0, "delta": 0.0, "unit": None}
    unit = min((e.unit for e in dp), key=UNITS.index)
    return {"epsilon": math.fsum(e.epsilon for e in dp), "delta": math.fsum(e.delta for e in dp),
            "unit": unit}


def statement_text(statement: dict) -> str:
    """The statement as a sentence a consortium could publish."""
    if statement["unit"] is None:
        return "No differentially private release: nothing to state."
    return (f"(ε = {statement['epsilon']:.3g}, δ = {statement['delta']:.2g})-differential privacy "
            f"for one {statement['unit']}, over every release of the pipeline together.")
